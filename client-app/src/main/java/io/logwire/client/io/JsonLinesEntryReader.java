package io.logwire.client.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.Field;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * JSON Lines: one JSON object per line with the eight keys of PROTOCOL.md section 3 (matched
 * case-insensitively), strings for {@code username}/{@code IP}/{@code server} and numbers for
 * the others. Unknown keys are refused (they are usually typos); blank lines are skipped.
 * Each line is parsed on its own, so a bad line can be skipped.
 */
public final class JsonLinesEntryReader implements EntryReader {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private final String name;
    private final CountingInputStream counter;
    private final BufferedReader reader;
    private final String[] values = new String[8];
    private long line;
    private boolean broken;

    public JsonLinesEntryReader(String name, InputStream in) {
        this.name = name;
        this.counter = new CountingInputStream(in);
        this.reader = new BufferedReader(new InputStreamReader(counter, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16);
    }

    @Override
    public LogEntry next() throws IOException {
        if (broken) {
            return null;
        }
        String text;
        do {
            try {
                text = reader.readLine();
            } catch (CharacterCodingException e) {
                broken = true;
                throw new InputFormatException(name, line + 1, "not valid UTF-8", true);
            }
            if (text == null) {
                return null;
            }
            line++;
            if (line == 1 && EntryFields.isUtf8Bom(text)) {
                text = text.substring(1);
            }
        } while (text.isBlank());
        try {
            return parse(text);
        } catch (EntryFields.BadValue e) {
            throw new InputFormatException(name, line, e.getMessage(), false);
        } catch (JsonProcessingException e) {
            throw new InputFormatException(name, line, "invalid JSON: " + e.getOriginalMessage(), false);
        }
    }

    private LogEntry parse(String text) throws IOException, EntryFields.BadValue {
        java.util.Arrays.fill(values, null);
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new EntryFields.BadValue("expected a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                Field f = Field.lookup(key);
                if (f == null) {
                    throw new EntryFields.BadValue("unknown field " + EntryFields.quote(key) + " (the fields are "
                            + EntryFields.HEADER + ")");
                }
                int pos = EntryFields.ORDER.indexOf(f);
                if (values[pos] != null) {
                    throw new EntryFields.BadValue(f.canonicalName() + " appears twice");
                }
                JsonToken v = p.nextToken();
                if (f.isNumeric()) {
                    if (v != JsonToken.VALUE_NUMBER_INT && v != JsonToken.VALUE_NUMBER_FLOAT) {
                        throw new EntryFields.BadValue(f.canonicalName() + ": expected a number, found " + describe(p, v));
                    }
                } else if (v != JsonToken.VALUE_STRING) {
                    throw new EntryFields.BadValue(f.canonicalName() + ": expected a string, found " + describe(p, v));
                }
                values[pos] = p.getText();
            }
            if (t != JsonToken.END_OBJECT) {
                throw new EntryFields.BadValue("expected a JSON object");
            }
            if (p.nextToken() != null) {
                throw new EntryFields.BadValue("text after the JSON object");
            }
        }
        for (int pos = 0; pos < 8; pos++) {
            if (values[pos] == null) {
                throw new EntryFields.BadValue("missing field " + EntryFields.ORDER.get(pos).canonicalName());
            }
        }
        return EntryFields.fromText(values);
    }

    private static String describe(JsonParser p, JsonToken v) throws IOException {
        return switch (v) {
            case VALUE_STRING -> "the string " + EntryFields.quote(p.getText());
            case VALUE_NULL -> "null";
            case VALUE_TRUE, VALUE_FALSE -> p.getText();
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            default -> p.getText();
        };
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
        reader.close();
    }
}
