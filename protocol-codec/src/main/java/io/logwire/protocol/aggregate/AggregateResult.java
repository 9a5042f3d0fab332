package io.logwire.protocol.aggregate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * The answer to an aggregate query (PROTOCOL.md 6.5), the body of AGGREGATE_OK:
 * {@code {"columns": [...], "rows": [[...], ...]}}. Cells are {@link String} (grouped string
 * fields), {@link Long} (exact integers), {@link Double} (avg, anything of score) or
 * {@code null} (no entry contributed).
 *
 * @param columns the column names: grouped fields, then aggregates
 * @param rows    the rows, each as long as {@code columns}, in the protocol's order
 */
public record AggregateResult(List<String> columns, List<List<Object>> rows) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public AggregateResult {
        columns = List.copyOf(columns);
        List<List<Object>> copy = new ArrayList<>(rows.size());
        for (List<Object> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("row of " + row.size() + " cells for " + columns.size() + " columns");
            }
            for (Object cell : row) {
                if (cell != null && !(cell instanceof String) && !(cell instanceof Long) && !(cell instanceof Double)) {
                    throw new IllegalArgumentException("a cell is a String, Long, Double or null, not "
                            + cell.getClass().getSimpleName());
                }
            }
            copy.add(Collections.unmodifiableList(new ArrayList<>(row)));
        }
        rows = Collections.unmodifiableList(copy);
    }

    /**
     * The result of {@code query} from rows in any order, each holding the grouped values
     * then the aggregates: sorts them as 6.5 says (first aggregate descending, nulls last;
     * ties by the group values ascending, strings by {@link String#compareTo}, numbers
     * numerically) and keeps the first {@code top}. For a backend that computes the groups
     * itself (SQL {@code GROUP BY}).
     */
    public static AggregateResult of(AggregateQuery query, List<List<Object>> unorderedRows) {
        Comparator<List<Object>> order = order(query.groupBy().size());
        if (query.hasTop() && unorderedRows.size() > query.top()) {
            // The first top rows without sorting them all: a heap holding the best top so far,
            // its worst on top (the order is total: no two rows share their group).
            PriorityQueue<List<Object>> best = new PriorityQueue<>(query.top() + 1, order.reversed());
            for (List<Object> row : unorderedRows) {
                best.add(row);
                if (best.size() > query.top()) {
                    best.poll();
                }
            }
            List<List<Object>> rows = new ArrayList<>(best);
            rows.sort(order);
            return new AggregateResult(query.columns(), rows);
        }
        List<List<Object>> rows = new ArrayList<>(unorderedRows);
        rows.sort(order);
        return new AggregateResult(query.columns(), rows);
    }

    /** The row order of 6.5 for rows with {@code groupColumns} group values first. */
    static Comparator<List<Object>> order(int groupColumns) {
        return (a, b) -> {
            int c = compareValues(b.get(groupColumns), a.get(groupColumns)); // descending
            for (int i = 0; c == 0 && i < groupColumns; i++) {
                c = compareValues(a.get(i), b.get(i));
            }
            return c;
        };
    }

    /** Numbers numerically, strings by UTF-16 code units, null below everything. */
    static int compareValues(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof String s) {
            return s.compareTo((String) b);
        }
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        // Numerically: -0.0 equals 0.0 here (Double.compare would order them).
        double x = ((Number) a).doubleValue();
        double y = ((Number) b).doubleValue();
        return x < y ? -1 : x > y ? 1 : 0;
    }

    /** The AGGREGATE_OK body. */
    public String toJson() {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode cols = root.putArray("columns");
        columns.forEach(cols::add);
        ArrayNode rowsNode = root.putArray("rows");
        for (List<Object> row : rows) {
            ArrayNode r = rowsNode.addArray();
            for (Object cell : row) {
                if (cell == null) {
                    r.addNull();
                } else if (cell instanceof String s) {
                    r.add(s);
                } else if (cell instanceof Long l) {
                    r.add(l);
                } else {
                    r.add((Double) cell);
                }
            }
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an aggregate result", e);
        }
    }

    /**
     * Reads an AGGREGATE_OK body: integers become {@link Long}, other numbers {@link Double}.
     *
     * @throws IllegalArgumentException if it is not such an object
     */
    public static AggregateResult fromJson(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("aggregate result is not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject() || !root.path("columns").isArray() || !root.path("rows").isArray()) {
            throw new IllegalArgumentException("aggregate result is not {\"columns\": [...], \"rows\": [...]}");
        }
        List<String> columns = new ArrayList<>();
        for (JsonNode c : root.get("columns")) {
            if (!c.isTextual()) {
                throw new IllegalArgumentException("column name is not a string: " + c);
            }
            columns.add(c.asText());
        }
        List<List<Object>> rows = new ArrayList<>();
        for (JsonNode r : root.get("rows")) {
            if (!r.isArray()) {
                throw new IllegalArgumentException("row is not an array: " + r);
            }
            List<Object> row = new ArrayList<>(r.size());
            for (JsonNode cell : r) {
                if (cell.isNull()) {
                    row.add(null);
                } else if (cell.isTextual()) {
                    row.add(cell.asText());
                } else if (cell.isIntegralNumber() && cell.canConvertToLong()) {
                    row.add(cell.asLong());
                } else if (cell.isNumber()) {
                    row.add(cell.asDouble());
                } else {
                    throw new IllegalArgumentException("cell is not a string, number or null: " + cell);
                }
            }
            rows.add(row);
        }
        return new AggregateResult(columns, rows);
    }

    /** The cell of {@code row} under {@code column}. */
    public Object get(int row, String column) {
        int i = columns.indexOf(Objects.requireNonNull(column, "column"));
        if (i < 0) {
            throw new IllegalArgumentException("no column " + column + " in " + columns);
        }
        return rows.get(row).get(i);
    }
}
