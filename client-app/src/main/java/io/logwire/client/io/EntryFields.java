package io.logwire.client.io;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.Field;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Parses and prints entry fields as text, the same way for CSV and JSON Lines, so that what
 * {@code query --format csv|jsonl} prints is exactly what {@code upload} reads back. Field
 * order and names are those of PROTOCOL.md section 3.
 */
public final class EntryFields {
    /** The eight fields in protocol order, the CSV header and JSON key order. */
    public static final List<Field> ORDER = List.of(Field.USERNAME, Field.IP, Field.PORT, Field.ACCESS_TIME,
            Field.DATA_SENT, Field.DATA_RECEIVED, Field.SCORE, Field.SERVER);
    /** The CSV header line. */
    public static final String HEADER = "username,IP,port,accessTime,dataSent,dataReceived,score,server";

    private static final Pattern INTEGER = Pattern.compile("\\+?[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");

    private EntryFields() {
    }

    /** Thrown with a reason only; the reader adds file and line. */
    static final class BadValue extends Exception {
        BadValue(String reason) {
            super(reason, null, false, false);
        }
    }

    /** A string field: any text whose UTF-8 form fits the protocol's u16 length. */
    static String string(Field f, String value) throws BadValue {
        int n = utf8Length(value);
        if (n < 0) {
            throw new BadValue(f.canonicalName() + ": contains an unpaired surrogate (not valid Unicode)");
        }
        if (n > LogEntryCodec.MAX_STRING_BYTES) {
            throw new BadValue(f.canonicalName() + ": " + n + " bytes of UTF-8; at most "
                    + LogEntryCodec.MAX_STRING_BYTES + " are allowed");
        }
        return value;
    }

    /** An unsigned integer field (port: u16, the others u32). */
    static long unsigned(Field f, String text) throws BadValue {
        long max = f == Field.PORT ? LogEntry.U16_MAX : LogEntry.U32_MAX;
        String t = text.strip();
        if (INTEGER.matcher(t).matches()) {
            String digits = t.startsWith("+") ? t.substring(1) : t;
            // strip leading zeros so that long parsing cannot overflow on harmless input
            int i = 0;
            while (i < digits.length() - 1 && digits.charAt(i) == '0') {
                i++;
            }
            digits = digits.substring(i);
            if (digits.length() <= 10) {
                long v = Long.parseLong(digits);
                if (v <= max) {
                    return v;
                }
            }
        }
        throw new BadValue(f.canonicalName() + ": " + quote(text) + " is not an integer in 0.." + max);
    }

    /** The score: a finite decimal number that fits a 32-bit float. */
    static float score(String text) throws BadValue {
        String t = text.strip();
        if (!DECIMAL.matcher(t).matches()) {
            throw new BadValue("score: " + quote(text) + " is not a number");
        }
        float v = Float.parseFloat(t);
        if (!Float.isFinite(v)) {
            throw new BadValue("score: " + quote(text) + " is too large for a 32-bit float");
        }
        return v;
    }

    /** The text of a score: the shortest decimal that parses back to the same float. */
    public static String scoreText(float score) {
        return Float.toString(score);
    }

    static String quote(String s) {
        String shown = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return "\"" + shown.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r")
                + "\"";
    }

    /** UTF-8 length, or -1 for an unpaired surrogate. */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return -1;
                }
                i++;
                n += 4;
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** Builds an entry from the eight values as text, in {@link #ORDER}. */
    static LogEntry fromText(String[] v) throws BadValue {
        return new LogEntry(string(Field.USERNAME, v[0]), string(Field.IP, v[1]), (int) unsigned(Field.PORT, v[2]),
                unsigned(Field.ACCESS_TIME, v[3]), unsigned(Field.DATA_SENT, v[4]),
                unsigned(Field.DATA_RECEIVED, v[5]), score(v[6]), string(Field.SERVER, v[7]));
    }

    static boolean isUtf8Bom(String s) {
        return !s.isEmpty() && s.charAt(0) == '\uFEFF';
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
