package io.logwire.server.store.clickhouse;

import io.logwire.protocol.filter.Criterion;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.Operator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Translates QUERY filters and SEARCH terms into ClickHouse {@code WHERE} conditions.
 *
 * <p>A translation is always a pre-filter: it never rejects an entry the protocol's predicate
 * accepts, and the cursor applies that predicate to every row it receives, so results are
 * exactly the spec's. {@link Translation#exact()} says whether the condition also rejects
 * everything the predicate rejects, which is what makes a pushed-down {@code LIMIT} correct.
 *
 * <p>Only syntax that ClickHouse 18.16 and current releases both accept is used: string
 * literals with {@code \xHH} escapes, integer literals, {@code toFloat64}, {@code length},
 * {@code lengthUTF8} and {@code positionCaseInsensitive}.
 */
public final class ClickHouseSql {
    /** Column names in table order, as the insert writes them. */
    static final String COLUMNS = "seq, batch, username, ip, port, accessTime, dataSent, dataReceived, score, server";
    /** Columns a cursor reads, in the order {@link RowBinary#readEntry} expects. */
    static final String SCAN_COLUMNS = "seq, username, ip, port, accessTime, dataSent, dataReceived, score, server";
    /** Below this magnitude a score bound is not pushed down (sub-normal literals do not parse on 18.16). */
    private static final double SMALLEST_PUSHED = 1e-300;
    private static final double LARGEST_PUSHED = 1e300;

    private ClickHouseSql() {
    }

    /** A WHERE condition ({@code "1"} for none) and whether it is exactly the predicate. */
    public record Translation(String condition, boolean exact) {
    }

    /**
     * A ClickHouse string literal for {@code value}: printable ASCII as is, except quote and
     * backslash, and every other byte of its UTF-8 encoding as {@code \xHH}, so the literal is
     * pure ASCII whatever the value holds (quotes, backslashes, NUL, line breaks, any Unicode).
     */
    public static String literal(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 2).append('\'');
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            }
        }
        return sb.append('\'').toString();
    }

    /** The condition for a QUERY filter. */
    public static Translation filter(Filter filter) {
        List<String> parts = new ArrayList<>();
        boolean exact = true;
        for (Criterion c : filter.criteria()) {
            if (c instanceof Criterion.StringCriterion s) {
                // Entries and filter values are valid UTF-8, so byte equality is string equality.
                parts.add(column(s.field()) + (s.op() == Operator.EQ ? " = " : " != ") + literal(s.value()));
            } else {
                Criterion.NumericCriterion n = (Criterion.NumericCriterion) c;
                if (n.field() == Field.SCORE) {
                    String part = score(n.op(), n.value());
                    exact = false;
                    if (part != null) {
                        parts.add(part);
                    }
                } else {
                    parts.add(integer(column(n.field()), n.op(), n.value()));
                }
            }
        }
        return new Translation(parts.isEmpty() ? "1" : String.join(" AND ", parts), exact);
    }

    /**
     * The pre-filter for a SEARCH term: ClickHouse's {@code positionCaseInsensitive} folds ASCII
     * only, and its Unicode lower-casing differs from Java's on some characters, so an ASCII field
     * is matched here exactly while every non-ASCII field is passed on for the server to decide.
     */
    public static Translation search(String term) {
        String lowered = term.toLowerCase(Locale.ROOT);
        if (lowered.isEmpty()) {
            return new Translation("1", true);
        }
        boolean asciiTerm = lowered.chars().allMatch(ch -> ch < 0x80);
        List<String> parts = new ArrayList<>();
        for (String col : new String[] {"username", "ip", "server"}) {
            String nonAscii = "lengthUTF8(" + col + ") != length(" + col + ")";
            parts.add(asciiTerm ? "(positionCaseInsensitive(" + col + ", " + literal(lowered) + ") > 0 OR " + nonAscii + ")"
                    : "(" + nonAscii + ")");
        }
        return new Translation(String.join(" OR ", parts), false);
    }

    static String column(Field f) {
        return switch (f) {
            case USERNAME -> "username";
            case IP -> "ip";
            case SERVER -> "server";
            case PORT -> "port";
            case ACCESS_TIME -> "accessTime";
            case DATA_SENT -> "dataSent";
            case DATA_RECEIVED -> "dataReceived";
            case SCORE -> "score";
        };
    }

    /**
     * An integer column (0..2^32-1) against a double, exactly: for integer x, {@code x < v} is
     * {@code x < ceil(v)}, {@code x <= v} is {@code x <= floor(v)} and so on, and equality with a
     * non-integer never holds. Bounds are clamped to a range wider than any column so every
     * literal is a small integer.
     */
    static String integer(String col, Operator op, double v) {
        double lo = -1;
        double hi = 1L << 33;
        long floor = (long) Math.max(lo, Math.min(hi, Math.floor(v)));
        long ceil = (long) Math.max(lo, Math.min(hi, Math.ceil(v)));
        boolean integral = v == Math.rint(v);
        String c = "toInt64(" + col + ")";
        return switch (op) {
            case LT -> c + " < " + ceil;
            case LE -> c + " <= " + floor;
            case GT -> c + " > " + floor;
            case GE -> c + " >= " + ceil;
            case EQ -> integral ? c + " = " + floor : "0";
            case NE -> integral ? c + " != " + floor : "1";
        };
    }

    /**
     * A widened bound on the float column, or null when none is pushed: the literal is moved one
     * ulp outwards so a last-digit difference in parsing can only let more rows through.
     */
    static String score(Operator op, double v) {
        double a = Math.abs(v);
        if (v != 0 && (a < SMALLEST_PUSHED || a > LARGEST_PUSHED)) {
            return null;
        }
        String c = "toFloat64(score)";
        return switch (op) {
            case LT, LE -> c + " <= " + number(up(v));
            case GT, GE -> c + " >= " + number(down(v));
            case EQ -> c + " >= " + number(down(v)) + " AND " + c + " <= " + number(up(v));
            case NE -> null;
        };
    }

    private static double up(double v) {
        double u = Math.nextUp(v);
        return Math.abs(u) < SMALLEST_PUSHED ? SMALLEST_PUSHED : u;
    }

    private static double down(double v) {
        double d = Math.nextDown(v);
        return Math.abs(d) < SMALLEST_PUSHED ? -SMALLEST_PUSHED : d;
    }

    private static String number(double v) {
        // Java's shortest round-trip form ("1.0E-5", "-0.5"): ClickHouse parses it, and parentheses
        // keep a leading minus a unary operator in any position.
        return "(" + Double.toString(v).toLowerCase(Locale.ROOT) + ")";
    }
}
