package io.logwire.client.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.Field;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CSV (RFC 4180) with a header row naming the eight fields of PROTOCOL.md section 3 in any
 * order (case-insensitive); streamed with Jackson's CSV parser. Quoted values may hold commas,
 * quotes ({@code ""}) and line breaks; values are taken as they are (no trimming of strings).
 * Blank lines are skipped. Input must be UTF-8 (a byte-order mark is ignored).
 */
public final class CsvEntryReader implements EntryReader {
    private static final CsvFactory FACTORY = new CsvFactory();

    private final String name;
    private final CountingInputStream counter;
    private final CsvParser parser;
    /** column index -> position in {@link EntryFields#ORDER} */
    private int[] columns;
    private final String[] values = new String[8];
    private final List<String> row = new ArrayList<>(8);
    private long line;
    private boolean broken;

    /**
     * @param name what error messages call the input (its path as given, or {@code -})
     */
    public CsvEntryReader(String name, InputStream in) throws IOException {
        this.name = name;
        this.counter = new CountingInputStream(in);
        Reader reader = new InputStreamReader(counter, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        this.parser = FACTORY.createParser(reader);
    }

    @Override
    public LogEntry next() throws IOException {
        if (broken) {
            return null;
        }
        if (columns == null && !readHeader()) {
            return null;
        }
        while (true) {
            if (!readRow()) {
                return null;
            }
            if (row.size() == 1 && row.get(0).isEmpty()) {
                continue; // a blank line
            }
            if (row.size() != 8) {
                throw bad("expected 8 fields, found " + row.size());
            }
            for (int i = 0; i < 8; i++) {
                values[columns[i]] = row.get(i);
            }
            try {
                return EntryFields.fromText(values);
            } catch (EntryFields.BadValue e) {
                throw bad(e.getMessage());
            }
        }
    }

    private boolean readHeader() throws IOException {
        while (true) {
            if (!readRow()) {
                return false;
            }
            if (!(row.size() == 1 && row.get(0).isEmpty())) {
                break;
            }
        }
        if (EntryFields.isUtf8Bom(row.get(0))) {
            row.set(0, row.get(0).substring(1));
        }
        int[] map = new int[row.size()];
        boolean[] seen = new boolean[8];
        for (int i = 0; i < row.size(); i++) {
            String h = row.get(i).strip();
            Field f = Field.lookup(h);
            if (f == null) {
                throw header("unknown column " + EntryFields.quote(h));
            }
            int pos = EntryFields.ORDER.indexOf(f);
            if (seen[pos]) {
                throw header("column " + f.canonicalName() + " appears twice");
            }
            seen[pos] = true;
            map[i] = pos;
        }
        for (int pos = 0; pos < 8; pos++) {
            if (!seen[pos]) {
                throw header("missing column " + EntryFields.ORDER.get(pos).canonicalName());
            }
        }
        columns = map;
        return true;
    }

    private InputFormatException header(String problem) {
        broken = true;
        return new InputFormatException(name, line, "header: " + problem + "; the header must name the eight fields "
                + EntryFields.HEADER, true);
    }

    /** Reads one record into {@link #row}; false at the end of input. */
    private boolean readRow() throws IOException {
        row.clear();
        long rowStart = Math.max(1, parser.currentLocation().getLineNr());
        try {
            JsonToken t = parser.nextToken();
            if (t == null) {
                return false;
            }
            if (t != JsonToken.START_ARRAY) {
                throw new IllegalStateException("CSV parser gave " + t);
            }
            boolean first = true;
            while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (t == null) {
                    return !row.isEmpty();
                }
                if (first) {
                    line = parser.currentTokenLocation().getLineNr();
                    first = false;
                }
                row.add(parser.getText());
            }
            return true;
        } catch (CharacterCodingException e) {
            broken = true;
            throw new InputFormatException(name, Math.max(1, parser.currentLocation().getLineNr()),
                    "not valid UTF-8", true);
        } catch (JsonProcessingException e) {
            broken = true;
            // Name the line the broken record starts on (for an unclosed quote, where the quote opened).
            throw new InputFormatException(name, Math.max(line + 1, rowStart), "malformed CSV: "
                    + e.getOriginalMessage().toLowerCase(Locale.ROOT), true);
        }
    }

    private InputFormatException bad(String reason) {
        return new InputFormatException(name, line, reason, false);
    }

    @Override
    public long line() {
        return line;
    }

    @Override
    public long bytesRead() {
        return counter.count();
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
