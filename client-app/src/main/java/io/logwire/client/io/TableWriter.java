package io.logwire.client.io;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.Field;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * An aligned table for people: strings left-aligned, numbers right-aligned, wide (CJK)
 * characters counted as two columns, control characters escaped. Streams: column widths come
 * from the first {@code sampleRows} rows; a later value wider than its column is cut with
 * {@code …}, as is any value over {@link #MAX_WIDTH} columns. Ends with a row count.
 */
public final class TableWriter implements EntryWriter {
    /** Widest column, in terminal columns. */
    public static final int MAX_WIDTH = 40;
    public static final int DEFAULT_SAMPLE_ROWS = 1000;

    private static final String SEP = "  ";

    private final Writer out;
    private final int sampleRows;
    private final boolean countRows;
    private final List<String[]> sample = new ArrayList<>();
    private int[] widths;
    private long rows;
    private boolean finished;

    public TableWriter(Writer out) {
        this(out, DEFAULT_SAMPLE_ROWS);
    }

    public TableWriter(Writer out, int sampleRows) {
        this(out, sampleRows, true);
    }

    /** @param countRows whether to end with a {@code (N rows)} line */
    public TableWriter(Writer out, int sampleRows, boolean countRows) {
        this.out = out;
        this.sampleRows = Math.max(1, sampleRows);
        this.countRows = countRows;
    }

    @Override
    public void write(LogEntry e) throws IOException {
        String[] cells = cells(e);
        rows++;
        if (widths == null) {
            sample.add(cells);
            if (sample.size() >= sampleRows) {
                layOut();
            }
            return;
        }
        writeRow(cells);
    }

    private void layOut() throws IOException {
        widths = new int[8];
        for (int i = 0; i < 8; i++) {
            widths[i] = displayWidth(EntryFields.ORDER.get(i).canonicalName());
        }
        for (String[] r : sample) {
            for (int i = 0; i < 8; i++) {
                widths[i] = Math.min(MAX_WIDTH, Math.max(widths[i], displayWidth(r[i])));
            }
        }
        String[] header = new String[8];
        String[] rule = new String[8];
        for (int i = 0; i < 8; i++) {
            header[i] = EntryFields.ORDER.get(i).canonicalName();
            rule[i] = "-".repeat(widths[i]);
        }
        writeRow(header);
        writeRow(rule);
        for (String[] r : sample) {
            writeRow(r);
        }
        sample.clear();
    }

    private void writeRow(String[] cells) throws IOException {
        StringBuilder sb = new StringBuilder(128);
        for (int i = 0; i < 8; i++) {
            String c = fit(cells[i], widths[i]);
            int pad = widths[i] - displayWidth(c);
            boolean numeric = EntryFields.ORDER.get(i).isNumeric();
            if (i > 0) {
                sb.append(SEP);
            }
            if (numeric) {
                sb.append(" ".repeat(pad)).append(c);
            } else {
                sb.append(c);
                if (i < 7) {
                    sb.append(" ".repeat(pad));
                }
            }
        }
        sb.append('\n');
        out.write(sb.toString());
    }

    private static String[] cells(LogEntry e) {
        String[] c = new String[8];
        for (int i = 0; i < 8; i++) {
            Field f = EntryFields.ORDER.get(i);
            c[i] = switch (f) {
                case USERNAME -> escape(e.username());
                case IP -> escape(e.ip());
                case SERVER -> escape(e.server());
                case PORT -> Integer.toString(e.port());
                case ACCESS_TIME -> Long.toString(e.accessTime());
                case DATA_SENT -> Long.toString(e.dataSent());
                case DATA_RECEIVED -> Long.toString(e.dataReceived());
                case SCORE -> EntryFields.scoreText(e.score());
            };
        }
        return c;
    }

    /** Control characters as escapes, so a row stays one line. */
    static String escape(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7F) {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                switch (ch) {
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> sb.append(String.format("\\x%02x", (int) ch));
                }
            } else if (sb != null) {
                sb.append(ch);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** {@code s} cut to {@code width} columns, ending in an ellipsis when cut. */
    static String fit(String s, int width) {
        if (displayWidth(s) <= width) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int cw = codePointWidth(cp);
            if (w + cw > width - 1) {
                break;
            }
            sb.appendCodePoint(cp);
            w += cw;
            i += Character.charCount(cp);
        }
        return sb.append('…').toString();
    }

    /** Terminal columns {@code s} takes. */
    public static int displayWidth(String s) {
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            w += codePointWidth(cp);
            i += Character.charCount(cp);
        }
        return w;
    }

    private static int codePointWidth(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT
                || cp == 0x200B) {
            return 0;
        }
        if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F)
                || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F)
                || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F)
                || (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
            return 2;
        }
        return 1;
    }

    /** Rows written so far. */
    public long rows() {
        return rows;
    }

    /** Rows held back to size the columns stay until the sample is complete (or {@link #finish()}). */
    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        if (widths == null) {
            if (rows == 0) {
                out.write(countRows ? "(no rows)\n" : "");
                out.flush();
                return;
            }
            layOut();
        }
        if (countRows) {
            out.write("(" + rows + (rows == 1 ? " row" : " rows") + ")\n");
        }
        out.flush();
    }
}
