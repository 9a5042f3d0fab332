package io.logwire.client.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.Field;

import java.io.IOException;
import java.io.Writer;

/**
 * CSV with the header {@link EntryFields#HEADER}, quoting only where needed, in exactly the
 * form {@link CsvEntryReader} reads back (scores as the shortest text of their float).
 */
public final class CsvEntryWriter implements EntryWriter {
    private static final CsvFactory FACTORY = new CsvFactory();
    private static final CsvSchema SCHEMA;

    static {
        CsvSchema.Builder b = CsvSchema.builder().setUseHeader(true).setLineSeparator("\n");
        for (Field f : EntryFields.ORDER) {
            b.addColumn(f.canonicalName());
        }
        SCHEMA = b.build();
    }

    private final Writer out;
    private final CsvGenerator gen;
    private long rows;
    private boolean finished;

    public CsvEntryWriter(Writer out) throws IOException {
        this.out = out;
        gen = FACTORY.createGenerator(out);
        gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        gen.setSchema(SCHEMA);
    }

    @Override
    public void write(LogEntry e) throws IOException {
        gen.writeStartArray();
        gen.writeString(e.username());
        gen.writeString(e.ip());
        gen.writeNumber(e.port());
        gen.writeNumber(e.accessTime());
        gen.writeNumber(e.dataSent());
        gen.writeNumber(e.dataReceived());
        gen.writeNumber(EntryFields.scoreText(e.score()));
        gen.writeString(e.server());
        gen.writeEndArray();
        rows++;
    }

    @Override
    public void flush() throws IOException {
        gen.flush();
        out.flush();
    }

    @Override
    public void finish() throws IOException {
        if (!finished) {
            finished = true;
            gen.close(); // an empty result still gets its header line
            out.flush();
        }
    }
}
