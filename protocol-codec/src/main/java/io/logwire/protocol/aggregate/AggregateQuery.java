package io.logwire.protocol.aggregate;

import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A parsed aggregate query (PROTOCOL.md 6.5): which entries ({@link #filter()}), what to
 * compute ({@link #aggregations()}, at least one), grouped by which fields ({@link #groupBy()},
 * possibly none) and how many rows to keep ({@link #top()}, 0 = all). {@link #toString()} is the
 * canonical text, which parses back to an equal query.
 */
public record AggregateQuery(Filter filter, List<Aggregation> aggregations, List<Field> groupBy, int top) {
    /** The largest {@code top}. */
    public static final int MAX_TOP = 1_000_000;

    public AggregateQuery {
        Objects.requireNonNull(filter, "filter");
        aggregations = List.copyOf(aggregations);
        groupBy = List.copyOf(groupBy);
        if (aggregations.isEmpty()) {
            throw new IllegalArgumentException("an aggregate query needs at least one aggregate");
        }
        if (top < 0 || top > MAX_TOP) {
            throw new IllegalArgumentException("top must be 1.." + MAX_TOP + " (or 0 for all rows): " + top);
        }
    }

    /**
     * Parses the text of an AGGREGATE request.
     *
     * @throws AggregateSyntaxException naming the problem and, where there is one, its position
     */
    public static AggregateQuery parse(String text) {
        return AggregateQueryParser.parse(text);
    }

    /** Whether {@code top} limits the rows. */
    public boolean hasTop() {
        return top > 0;
    }

    /** The result's column names: the grouped fields, then the aggregates. */
    public List<String> columns() {
        List<String> columns = new ArrayList<>(groupBy.size() + aggregations.size());
        groupBy.forEach(f -> columns.add(f.canonicalName()));
        aggregations.forEach(a -> columns.add(a.columnName()));
        return List.copyOf(columns);
    }

    /**
     * The canonical text: the canonical filter, {@code " | "} (just {@code "| "} after an empty
     * filter), the aggregates in lower case joined by {@code ", "}, then {@code " by "} and the
     * canonical field names, then {@code " top N"}.
     */
    @Override
    public String toString() {
        String f = filter.toString();
        StringBuilder sb = new StringBuilder(f);
        sb.append(f.isEmpty() ? "| " : " | ");
        sb.append(aggregations.stream().map(Aggregation::columnName).collect(Collectors.joining(", ")));
        if (!groupBy.isEmpty()) {
            sb.append(" by ").append(groupBy.stream().map(Field::canonicalName).collect(Collectors.joining(", ")));
        }
        if (top > 0) {
            sb.append(" top ").append(top);
        }
        return sb.toString();
    }
}
