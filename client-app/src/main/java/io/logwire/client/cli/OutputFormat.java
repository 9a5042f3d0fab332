package io.logwire.client.cli;

import io.logwire.client.io.EntryFormat;
import io.logwire.client.io.EntryWriter;
import io.logwire.client.io.TableWriter;

import java.io.IOException;
import java.io.Writer;

/** How query and search print rows: an aligned table for people, CSV or JSON Lines that {@code upload} reads back. */
enum OutputFormat {
    TABLE, CSV, JSONL;

    EntryWriter writer(Writer out) throws IOException {
        return switch (this) {
            case TABLE -> new TableWriter(out);
            case CSV -> EntryFormat.CSV.writer(out);
            case JSONL -> EntryFormat.JSONL.writer(out);
        };
    }
}
