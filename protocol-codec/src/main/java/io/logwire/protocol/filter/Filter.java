package io.logwire.protocol.filter;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A parsed filter (PROTOCOL.md section 5): an entry matches when it satisfies every
 * criterion; no criteria match every entry. {@link #toString()} prints the canonical text,
 * which parses back to an equal filter.
 */
public record Filter(List<Criterion> criteria) {
    /** The filter that matches every entry. */
    public static final Filter MATCH_ALL = new Filter(List.of());

    public Filter {
        criteria = List.copyOf(criteria);
    }

    /**
     * Parses filter text.
     *
     * @throws FilterSyntaxException naming the problem and its position
     */
    public static Filter parse(String text) {
        return new Filter(FilterParser.parse(text));
    }

    /** Parses {@code text[start, end)}; error positions are offsets into {@code text}. */
    public static Filter parse(String text, int start, int end) {
        return new Filter(FilterParser.parse(text, start, end));
    }

    public boolean matchesAll() {
        return criteria.isEmpty();
    }

    /** A predicate for decoded and encoded entries. */
    public EntryPredicate compile() {
        return criteria.isEmpty() ? EntryPredicate.MATCH_ALL : new CompiledFilter(criteria);
    }

    @Override
    public String toString() {
        return criteria.stream().map(Criterion::toString).collect(Collectors.joining(", "));
    }
}
