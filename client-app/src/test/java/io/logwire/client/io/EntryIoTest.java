package io.logwire.client.io;

import io.logwire.protocol.entry.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EntryIoTest {
    private static final String HEADER = EntryFields.HEADER + "\n";

    static List<LogEntry> readAll(EntryFormat f, String text) throws IOException {
        try (EntryReader r = f.reader("in", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)))) {
            List<LogEntry> out = new ArrayList<>();
            LogEntry e;
            while ((e = r.next()) != null) {
                out.add(e);
            }
            return out;
        }
    }

    static String writeAll(EntryFormat f, List<LogEntry> entries) throws IOException {
        StringWriter sw = new StringWriter();
        try (EntryWriter w = f.writer(sw)) {
            for (LogEntry e : entries) {
                w.write(e);
            }
        }
        return sw.toString();
    }

    static InputFormatException failure(EntryFormat f, String text) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> readAll(f, text));
        assertThat(t).isInstanceOf(InputFormatException.class);
        return (InputFormatException) t;
    }

    /** Awkward but legal values: separators, quotes, line breaks, spaces, empty strings, Unicode, limits. */
    static List<LogEntry> awkward() {
        List<LogEntry> list = new ArrayList<>(List.of(
                new LogEntry("", "", 0, 0, 0, 0, 0f, ""),
                new LogEntry("a,b", "\"quoted\"", 65535, 4294967295L, 4294967295L, 4294967295L, -0.0f, " lead and trail "),
                new LogEntry("line\nbreak", "cr\rlf\r\n", 1, 2, 3, 4, 3.4028235e38f, "tab\there"),
                new LogEntry("José Zoë 明 🙂 Ярослав", "::1", 8080, 1700000000, 5, 6, 1.4e-45f, "{\"json\": [1]}"),
                new LogEntry("back\\slash", "x", 2, 3, 4, 5, 0.1f, "=formula")));
        Random r = new Random(11);
        for (int i = 0; i < 200; i++) {
            list.add(new LogEntry("u" + r.nextInt(), "10." + r.nextInt(256), r.nextInt(65536),
                    r.nextLong() & 0xFFFF_FFFFL, r.nextLong() & 0xFFFF_FFFFL, r.nextLong() & 0xFFFF_FFFFL,
                    Float.intBitsToFloat(r.nextInt() & 0x7F7F_FFFF) * (r.nextBoolean() ? 1 : -1), "s" + i));
        }
        return list;
    }

    @Test
    void flushPushesEveryEntryWrittenSoFarBeforeFinish() throws IOException {
        LogEntry e = new LogEntry("tailed-user", "10.0.0.1", 22, 1_700_000_000L, 1, 2, 0.5f, "srv-7");
        for (String kind : new String[] {"csv", "jsonl", "table"}) {
            StringWriter out = new StringWriter();
            EntryWriter w = switch (kind) {
                case "csv" -> EntryFormat.CSV.writer(out);
                case "jsonl" -> EntryFormat.JSONL.writer(out);
                default -> new TableWriter(out, 1, false);
            };
            w.write(e);
            w.flush();
            assertThat(out.toString()).as(kind).contains("tailed-user").contains("srv-7");
        }
    }

    @Test
    void csvRoundTripsAwkwardValues() throws IOException {
        List<LogEntry> entries = awkward();
        String text = writeAll(EntryFormat.CSV, entries);
        assertThat(text).startsWith(HEADER);
        assertThat(readAll(EntryFormat.CSV, text)).containsExactlyElementsOf(entries);
    }

    @Test
    void jsonLinesRoundTripAwkwardValues() throws IOException {
        List<LogEntry> entries = awkward();
        String text = writeAll(EntryFormat.JSONL, entries);
        assertThat(text.split("\n", -1)).hasSize(entries.size() + 1);
        assertThat(readAll(EntryFormat.JSONL, text)).containsExactlyElementsOf(entries);
    }

    @Test
    void anEmptyResultIsAHeaderInCsvAndNothingInJsonLines() throws IOException {
        assertThat(writeAll(EntryFormat.CSV, List.of())).isEqualTo(HEADER);
        assertThat(writeAll(EntryFormat.JSONL, List.of())).isEmpty();
        assertThat(readAll(EntryFormat.CSV, HEADER)).isEmpty();
        assertThat(readAll(EntryFormat.CSV, "")).isEmpty();
    }

    @Test
    void csvHeaderMayBeInAnyOrderAnyCaseWithABomAndBlankLines() throws IOException {
        String text = "\uFEFFServer,SCORE,dataReceived,datasent,accesstime,Port,ip,USERNAME\r\n\r\n"
                + "web,0.5,6,5,4,3,10.0.0.1,bob\r\n\n";
        assertThat(readAll(EntryFormat.CSV, text)).containsExactly(
                new LogEntry("bob", "10.0.0.1", 3, 4, 5, 6, 0.5f, "web"));
    }

    @Test
    void csvErrorsNameTheLine() {
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,2,3,4,5,s\n\"two\nlines\",b,x,2,3,4,5,s\n").getMessage())
                .isEqualTo("in:3: port: \"x\" is not an integer in 0..65535");
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,2,3,4,5,s,extra\n").getMessage())
                .isEqualTo("in:2: expected 8 fields, found 9");
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,4294967296,3,4,5,s\n").getMessage())
                .isEqualTo("in:2: accessTime: \"4294967296\" is not an integer in 0..4294967295");
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,2,-3,4,5,s\n").getMessage())
                .isEqualTo("in:2: dataSent: \"-3\" is not an integer in 0..4294967295");
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,2,3,4,NaN,s\n").getMessage())
                .isEqualTo("in:2: score: \"NaN\" is not a number");
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,2,3,4,1e39,s\n").getMessage())
                .isEqualTo("in:2: score: \"1e39\" is too large for a 32-bit float");
        assertThat(failure(EntryFormat.CSV, HEADER + "a,b,1,2,3,4,1.5f,s\n").getMessage())
                .isEqualTo("in:2: score: \"1.5f\" is not a number");
        assertThat(failure(EntryFormat.CSV, "user,IP,port\n").getMessage())
                .startsWith("in:1: header: unknown column \"user\"");
        assertThat(failure(EntryFormat.CSV, HEADER.replace("score", "port")).getMessage())
                .startsWith("in:1: header: column port appears twice");
        InputFormatException unclosed = failure(EntryFormat.CSV, HEADER + "a,b,1,2,3,4,5,s\n\"open,b,1,2,3,4,5,s\n");
        assertThat(unclosed.getMessage()).startsWith("in:3: malformed CSV");
        assertThat(unclosed.isFatal()).isTrue();
        assertThat(failure(EntryFormat.CSV, "x".repeat(0) + HEADER + "a,b,1,2,3,4,5," + "é".repeat(40000) + "\n")
                .getMessage()).isEqualTo("in:2: server: 80000 bytes of UTF-8; at most 65535 are allowed");
    }

    @Test
    void invalidUtf8IsReported() {
        byte[] bytes = (HEADER + "a,b,1,2,3,4,5,s\nx").getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(bytes, bytes.length + 2);
        bad[bad.length - 2] = (byte) 0xC3;
        bad[bad.length - 1] = (byte) 0x28;
        assertThatThrownBy(() -> {
            try (EntryReader r = EntryFormat.CSV.reader("in", new ByteArrayInputStream(bad))) {
                while (r.next() != null) {
                    // read on
                }
            }
        }).isInstanceOf(InputFormatException.class).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void jsonLinesErrorsNameTheLine() {
        String ok = "{\"username\":\"a\",\"IP\":\"b\",\"port\":1,\"accessTime\":2,\"dataSent\":3,\"dataReceived\":4,"
                + "\"score\":5,\"server\":\"s\"}\n";
        assertThat(failure(EntryFormat.JSONL, ok + "\n" + "{\"username\":\"a\"\n").getMessage())
                .startsWith("in:3: invalid JSON");
        assertThat(failure(EntryFormat.JSONL, ok + ok.replace("\"port\":1,", "")).getMessage())
                .isEqualTo("in:2: missing field port");
        assertThat(failure(EntryFormat.JSONL, ok.replace("\"port\":1", "\"port\":1,\"prot\":2")).getMessage())
                .startsWith("in:1: unknown field \"prot\"");
        assertThat(failure(EntryFormat.JSONL, ok.replace("\"username\":\"a\"", "\"username\":7")).getMessage())
                .isEqualTo("in:1: username: expected a string, found 7");
        assertThat(failure(EntryFormat.JSONL, ok.replace("\"port\":1", "\"port\":1.5")).getMessage())
                .isEqualTo("in:1: port: \"1.5\" is not an integer in 0..65535");
        assertThat(failure(EntryFormat.JSONL, ok.replace("\"score\":5", "\"score\":null")).getMessage())
                .isEqualTo("in:1: score: expected a number, found null");
        assertThat(failure(EntryFormat.JSONL, "[1,2]\n").getMessage()).isEqualTo("in:1: expected a JSON object");
        assertThat(failure(EntryFormat.JSONL, ok.trim() + " {}\n").getMessage())
                .isEqualTo("in:1: text after the JSON object");
    }

    @Test
    void aBadRecordCanBeSkipped() throws IOException {
        String text = HEADER + "a,b,1,2,3,4,5,s\nbad,b,x,2,3,4,5,s\nc,b,1,2,3,4,5,s\n";
        try (EntryReader r = EntryFormat.CSV.reader("in", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)))) {
            assertThat(r.next().username()).isEqualTo("a");
            assertThatThrownBy(r::next).isInstanceOf(InputFormatException.class);
            assertThat(r.next().username()).isEqualTo("c");
            assertThat(r.next()).isNull();
        }
    }

    @Test
    void formatsFromFileNamesAndSniffing() throws IOException {
        assertThat(EntryFormat.forFileName("a/b.CSV")).isEqualTo(EntryFormat.CSV);
        assertThat(EntryFormat.forFileName("x.ndjson")).isEqualTo(EntryFormat.JSONL);
        assertThat(EntryFormat.forFileName("x.jsonl.gz")).isEqualTo(EntryFormat.JSONL);
        assertThat(EntryFormat.forFileName("x.txt")).isNull();
        assertThat(EntryFormat.sniff(new java.io.BufferedInputStream(new ByteArrayInputStream("\n  {\"a\":1}".getBytes()))))
                .isEqualTo(EntryFormat.JSONL);
        assertThat(EntryFormat.sniff(new java.io.BufferedInputStream(new ByteArrayInputStream(HEADER.getBytes()))))
                .isEqualTo(EntryFormat.CSV);
    }

    @Test
    void tableAlignsColumnsCountingWideCharactersTwice() throws IOException {
        StringWriter sw = new StringWriter();
        TableWriter t = new TableWriter(sw);
        t.write(new LogEntry("明明", "10.0.0.1", 443, 1, 2, 3, 0.5f, "web"));
        t.write(new LogEntry("bob", "10.0.0.22", 8080, 1, 2, 3, 10.25f, "line\nbreak"));
        t.finish();
        String[] lines = sw.toString().split("\n");
        assertThat(lines).hasSize(5);
        assertThat(lines[0]).isEqualTo("username  IP         port  accessTime  dataSent  dataReceived  score  server");
        assertThat(lines[1]).isEqualTo("--------  ---------  ----  ----------  --------  ------------  -----  -----------");
        assertThat(lines[2]).isEqualTo("明明      10.0.0.1    443           1         2             3    0.5  web");
        assertThat(lines[3]).isEqualTo("bob       10.0.0.22  8080           1         2             3  10.25  line\\nbreak");
        assertThat(lines[4]).isEqualTo("(2 rows)");
        assertThat(TableWriter.fit("abcdefghij", 5)).isEqualTo("abcd…");
        assertThat(TableWriter.displayWidth("é明🙂")).isEqualTo(5);
    }

    @Test
    void sorterOrdersByAccessTimeStablyAcrossSpilledRuns(@TempDir Path tmp) throws IOException {
        Random r = new Random(3);
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            entries.add(new LogEntry("u" + i, "ip", 1, r.nextInt(50), i, 0, 0f, "s"));
        }
        List<LogEntry> expected = new ArrayList<>(entries);
        expected.sort(java.util.Comparator.comparingLong(LogEntry::accessTime)); // stable
        try (AccessTimeSorter s = new AccessTimeSorter(64, tmp)) {
            for (LogEntry e : entries) {
                s.add(e);
            }
            List<LogEntry> got = new ArrayList<>();
            Iterator<LogEntry> it = s.sorted();
            it.forEachRemaining(got::add);
            assertThat(got).containsExactlyElementsOf(expected);
        }
        assertThat(tmp.toFile().list()).isEmpty();
    }
}
