package io.logwire.client.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.logwire.protocol.entry.LogEntry;

import java.io.IOException;
import java.io.Writer;

/** JSON Lines, keys in protocol order, in exactly the form {@link JsonLinesEntryReader} reads back. */
public final class JsonLinesEntryWriter implements EntryWriter {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private final JsonGenerator gen;
    private boolean finished;

    public JsonLinesEntryWriter(Writer out) throws IOException {
        gen = FACTORY.createGenerator(out);
        gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        gen.setRootValueSeparator(null);
    }

    @Override
    public void write(LogEntry e) throws IOException {
        gen.writeStartObject();
        gen.writeStringField("username", e.username());
        gen.writeStringField("IP", e.ip());
        gen.writeNumberField("port", e.port());
        gen.writeNumberField("accessTime", e.accessTime());
        gen.writeNumberField("dataSent", e.dataSent());
        gen.writeNumberField("dataReceived", e.dataReceived());
        gen.writeFieldName("score");
        gen.writeNumber(EntryFields.scoreText(e.score()));
        gen.writeStringField("server", e.server());
        gen.writeEndObject();
        gen.writeRaw('\n');
    }

    @Override
    public void flush() throws IOException {
        gen.flush(); // Jackson passes it on to the writer
    }

    @Override
    public void finish() throws IOException {
        if (!finished) {
            finished = true;
            gen.close();
        }
    }
}
