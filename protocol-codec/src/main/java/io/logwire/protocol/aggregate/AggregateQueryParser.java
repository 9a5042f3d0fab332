package io.logwire.protocol.aggregate;

import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.FilterSyntaxException;

import java.util.ArrayList;
import java.util.List;

/**
 * Parser of the aggregate-query language of PROTOCOL.md 6.5. One instance per parse; not
 * thread-safe (use {@link AggregateQuery#parse}).
 *
 * <pre>
 * aggquery  = filter ws "|" ws aggs [ wsp "by" wsp fields ] [ wsp "top" wsp count ]
 * aggs      = agg *( ws "," ws agg )
 * agg       = "count" / ( "sum" / "avg" / "min" / "max" ) ws "(" ws numfield ws ")"
 * fields    = field *( ws "," ws field )
 * count     = 1*DIGIT                        ; 1 .. 1000000
 * </pre>
 *
 * The filter ends at the first {@code |} outside a quoted value and is parsed by section 5's
 * parser. Whitespace (space and tab only) is also accepted at the very end.
 */
final class AggregateQueryParser {
    private final String text;
    private final int end;
    private int pos;

    private AggregateQueryParser(String text, int start) {
        this.text = text;
        this.pos = start;
        this.end = text.length();
    }

    static AggregateQuery parse(String text) {
        int pipe = filterEnd(text);
        if (pipe < 0) {
            // Report a broken filter as such; a good one lacks only the '|'.
            parseFilter(text, text.length());
            throw new AggregateSyntaxException("missing '|' between the filter and the aggregates"
                    + " (write e.g. \"" + text.strip() + " | count\")", text.length());
        }
        Filter filter = parseFilter(text, pipe);
        return new AggregateQueryParser(text, pipe + 1).query(filter);
    }

    private static Filter parseFilter(String text, int end) {
        try {
            return Filter.parse(text, 0, end);
        } catch (FilterSyntaxException e) {
            throw new AggregateSyntaxException(e.getMessage(), e.position());
        }
    }

    /**
     * Index of the first {@code |} that is not inside a quoted filter value, or -1. Follows the
     * shape of a criterion (field, operator run, whitespace, value) so that a {@code "} only
     * opens a quoted value where section 5 says one starts.
     */
    static int filterEnd(String text) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            while (i < n && !isOperatorChar(text.charAt(i)) && text.charAt(i) != ',' && text.charAt(i) != '|') {
                i++;
            }
            if (i == n) {
                return -1;
            }
            char c = text.charAt(i);
            if (c == '|') {
                return i;
            }
            if (c == ',') {
                i++;
                continue;
            }
            while (i < n && isOperatorChar(text.charAt(i))) {
                i++;
            }
            while (i < n && isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i < n && text.charAt(i) == '"') {
                i++;
                while (i < n) {
                    char q = text.charAt(i);
                    if (q == '\\') {
                        i += 2;
                    } else {
                        i++;
                        if (q == '"') {
                            break;
                        }
                    }
                }
            }
            while (i < n && text.charAt(i) != ',' && text.charAt(i) != '|') {
                i++;
            }
            if (i < n && text.charAt(i) == '|') {
                return i;
            }
            i++; // the comma, or past the end
        }
        return -1;
    }

    private AggregateQuery query(Filter filter) {
        List<Aggregation> aggregations = new ArrayList<>();
        skipWhitespace();
        aggregations.add(aggregation());
        while (true) {
            int before = pos;
            skipWhitespace();
            if (peek() != ',') {
                pos = before;
                break;
            }
            pos++;
            skipWhitespace();
            aggregations.add(aggregation());
        }
        List<Field> groupBy = new ArrayList<>();
        int top = 0;
        if (keyword("by")) {
            groupBy.add(field());
            while (true) {
                int before = pos;
                skipWhitespace();
                if (peek() != ',') {
                    pos = before;
                    break;
                }
                pos++;
                skipWhitespace();
                groupBy.add(field());
            }
        }
        if (keyword("top")) {
            top = count();
        }
        skipWhitespace();
        if (pos < end) {
            throw error("unexpected '" + rest() + "'"
                    + (groupBy.isEmpty() && top == 0 ? " (after the aggregates only 'by' and 'top' may follow)"
                    : top == 0 ? " (after 'by' fields only 'top N' may follow)" : ""), pos);
        }
        return new AggregateQuery(filter, aggregations, groupBy, top);
    }

    /** Consumes whitespace (at least one), the keyword and whitespace (at least one), if they are there. */
    private boolean keyword(String word) {
        int start = pos;
        skipWhitespace();
        int wordStart = pos;
        if (wordStart == start) {
            return false;
        }
        String w = word();
        if (!w.equalsIgnoreCase(word)) {
            pos = start;
            return false;
        }
        int afterWord = pos;
        skipWhitespace();
        if (pos == afterWord) {
            throw error(pos == end ? "'" + word + "' must be followed by "
                    + (word.equals("by") ? "field names" : "a row count") : "'" + word + "' must be followed by a space",
                    pos);
        }
        return true;
    }

    private Aggregation aggregation() {
        int start = pos;
        String name = word();
        if (name.isEmpty()) {
            throw error(pos == end ? "missing aggregate (count, sum(f), avg(f), min(f) or max(f))"
                    : "expected an aggregate (count, sum(f), avg(f), min(f) or max(f)), found '" + peek() + "'", start);
        }
        AggregateFunction function = AggregateFunction.lookup(name);
        if (function == null) {
            throw error("unknown aggregate '" + name + "' (use count, sum, avg, min or max)", start);
        }
        if (function == AggregateFunction.COUNT) {
            int before = pos;
            skipWhitespace();
            if (peek() == '(') {
                throw error("count takes no field: write just 'count'", pos);
            }
            pos = before;
            return Aggregation.COUNT;
        }
        skipWhitespace();
        expect('(', name + " needs a field in parentheses, e.g. " + function.keyword() + "(dataSent)");
        skipWhitespace();
        int fieldStart = pos;
        Field field = field();
        if (!field.isNumeric()) {
            throw error(function.keyword() + " needs a numeric field (port, accessTime, dataSent, dataReceived, score),"
                    + " not the string field " + field.canonicalName(), fieldStart);
        }
        skipWhitespace();
        expect(')', "missing ')' after " + function.keyword() + "(" + field.canonicalName());
        return Aggregation.of(function, field);
    }

    private Field field() {
        int start = pos;
        String name = word();
        if (name.isEmpty()) {
            throw error(pos == end ? "missing field name" : "expected a field name, found '" + peek() + "'", start);
        }
        Field field = Field.lookup(name);
        if (field == null) {
            throw new AggregateSyntaxException("Field not found: " + name, start);
        }
        return field;
    }

    private int count() {
        int start = pos;
        while (pos < end && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start) {
            throw error("'top' needs a row count 1.." + AggregateQuery.MAX_TOP
                    + (pos < end ? ", found '" + peekWord() + "'" : ""), start);
        }
        String digits = text.substring(start, pos);
        String significant = digits.replaceFirst("^0+(?=.)", "");
        if (significant.length() > 7 || Integer.parseInt(significant) < 1
                || Integer.parseInt(significant) > AggregateQuery.MAX_TOP) {
            throw error("top " + digits + " is outside 1.." + AggregateQuery.MAX_TOP, start);
        }
        return Integer.parseInt(significant);
    }

    private String word() {
        int start = pos;
        while (pos < end && isAsciiLetter(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private String peekWord() {
        int i = pos;
        while (i < end && !isWhitespace(text.charAt(i)) && text.charAt(i) != ',') {
            i++;
        }
        return text.substring(pos, Math.max(i, Math.min(pos + 1, end)));
    }

    private String rest() {
        String r = text.substring(pos).strip();
        return r.length() > 40 ? r.substring(0, 40) + "..." : r;
    }

    private void expect(char c, String problem) {
        if (peek() != c) {
            throw error(problem, pos);
        }
        pos++;
    }

    private char peek() {
        return pos < end ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < end && isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isOperatorChar(char c) {
        return c == '=' || c == '<' || c == '>' || c == '!';
    }

    private static boolean isAsciiLetter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    private static AggregateSyntaxException error(String problem, int position) {
        return new AggregateSyntaxException(problem + " at position " + position, position);
    }
}
