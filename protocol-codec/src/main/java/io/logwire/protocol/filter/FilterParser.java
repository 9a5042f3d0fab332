package io.logwire.protocol.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Parser of the filter language of PROTOCOL.md section 5. One instance per parse; not
 * thread-safe (use {@link Filter#parse}).
 */
final class FilterParser {
    /** The number grammar of section 5: ASCII digits only, no NaN, no Infinity, no hex. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");

    private final String text;
    private final int end;
    private int pos;

    private FilterParser(String text, int start, int end) {
        this.text = text;
        this.pos = start;
        this.end = end;
    }

    /** Parses all of {@code text}. */
    static List<Criterion> parse(String text) {
        return parse(text, 0, text.length());
    }

    /** Parses {@code text[start, end)}; positions in errors are offsets into {@code text}. */
    static List<Criterion> parse(String text, int start, int end) {
        return new FilterParser(text, start, end).filter();
    }

    private List<Criterion> filter() {
        if (isBlank()) {
            return List.of();
        }
        List<Criterion> criteria = new ArrayList<>();
        while (true) {
            criteria.add(criterion());
            if (pos == end) {
                return List.copyOf(criteria);
            }
            pos++; // the comma that ended the criterion
        }
    }

    private boolean isBlank() {
        for (int i = pos; i < end; i++) {
            if (!isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private Criterion criterion() {
        skipWhitespace();
        int fieldStart = pos;
        while (pos < end && isAsciiLetter(text.charAt(pos))) {
            pos++;
        }
        if (pos == fieldStart) {
            if (pos == end || text.charAt(pos) == ',') {
                throw error("empty criterion", fieldStart);
            }
            if (isOperatorChar(text.charAt(pos))) {
                throw error("missing field name before '" + text.charAt(pos) + "'", fieldStart);
            }
            throw error("expected a field name, found '" + text.charAt(pos) + "'", fieldStart);
        }
        String name = text.substring(fieldStart, pos);
        Field field = Field.lookup(name);
        if (field == null) {
            throw new FilterSyntaxException("Field not found: " + name, fieldStart);
        }
        skipWhitespace();
        int opStart = pos;
        while (pos < end && isOperatorChar(text.charAt(pos))) {
            pos++;
        }
        if (pos == opStart) {
            throw error("missing operator after '" + name + "'"
                    + (pos < end ? ", found '" + text.charAt(pos) + "'" : ""), opStart);
        }
        String symbol = text.substring(opStart, pos);
        Operator op = Operator.forSymbol(symbol);
        if (op == null) {
            throw error("unknown operator '" + symbol + "' (use = != < > <= >=; quote a value that starts with one of = ! < >)",
                    opStart);
        }
        skipWhitespace();
        int valueStart = pos;
        if (pos == end || text.charAt(pos) == ',') {
            throw error("missing value after '" + name + symbol + "'", valueStart);
        }
        String value = text.charAt(pos) == '"' ? quoted() : bare();
        if (!field.isNumeric()) {
            if (!op.appliesToStrings()) {
                throw error("operator '" + symbol + "' does not apply to the string field " + field.canonicalName()
                        + " (only = and !=)", opStart);
            }
            return new Criterion.StringCriterion(field, op, value);
        }
        return new Criterion.NumericCriterion(field, op, number(field, value, valueStart));
    }

    private String quoted() {
        int open = pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= end) {
                throw error("unterminated quoted value", open);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                break;
            }
            if (c == '\\') {
                if (pos + 1 >= end) {
                    throw error("unterminated quoted value", open);
                }
                char next = text.charAt(pos + 1);
                if (next != '"' && next != '\\') {
                    throw error("invalid escape '\\" + next + "' (only \\\" and \\\\)", pos);
                }
                sb.append(next);
                pos += 2;
                continue;
            }
            sb.append(c);
            pos++;
        }
        skipWhitespace();
        if (pos < end && text.charAt(pos) != ',') {
            throw error("unexpected '" + text.charAt(pos) + "' after a quoted value", pos);
        }
        return sb.toString();
    }

    private String bare() {
        int start = pos;
        while (pos < end && text.charAt(pos) != ',') {
            pos++;
        }
        int stop = pos;
        while (stop > start && isWhitespace(text.charAt(stop - 1))) {
            stop--;
        }
        return text.substring(start, stop);
    }

    private double number(Field field, String value, int position) {
        if (!NUMBER.matcher(value).matches()) {
            throw error("'" + value + "' is not a number (field " + field.canonicalName() + ")", position);
        }
        double d = Double.parseDouble(value);
        if (Double.isInfinite(d)) {
            throw error("'" + value + "' is too large for a number (field " + field.canonicalName() + ")", position);
        }
        return d;
    }

    private void skipWhitespace() {
        while (pos < end && isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private FilterSyntaxException error(String problem, int position) {
        return new FilterSyntaxException(problem + " at position " + position, position);
    }

    static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    static boolean isOperatorChar(char c) {
        return c == '=' || c == '<' || c == '>' || c == '!';
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
