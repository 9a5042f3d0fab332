package io.logwire.protocol.filter;

/** Canonical text of filter values: the shortest form that parses back to the same value. */
final class FilterPrinter {
    private FilterPrinter() {
    }

    /** A string value, bare when that is unambiguous, quoted otherwise. */
    static String stringValue(String value) {
        return needsQuotes(value) ? quote(value) : value;
    }

    private static boolean needsQuotes(String v) {
        if (v.isEmpty()) {
            return true;
        }
        char first = v.charAt(0);
        char last = v.charAt(v.length() - 1);
        if (FilterParser.isWhitespace(first) || FilterParser.isWhitespace(last)
                || first == '"' || FilterParser.isOperatorChar(first)) {
            return true;
        }
        // '|' is quoted too so that a printed filter can head an aggregate query (PROTOCOL.md 6.5),
        // whose filter ends at the first '|' outside a quoted value.
        return v.indexOf(',') >= 0 || v.indexOf('|') >= 0;
    }

    private static String quote(String v) {
        StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** A number, as an integer when it is one (and small enough to be exact), else shortest decimal. */
    static String number(double d) {
        if (d == 0 && Double.doubleToRawLongBits(d) != 0) {
            return "-0";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
