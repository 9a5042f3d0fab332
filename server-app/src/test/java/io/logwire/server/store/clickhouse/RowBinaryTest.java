package io.logwire.server.store.clickhouse;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.server.store.LogStoreContractTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RowBinary rows written from wire-encoded entries and read back into the same bytes. */
class RowBinaryTest {
    /** Rows as the cursor reads them: the insert's columns without {@code batch}. */
    private static byte[] scanRows(List<LogEntry> entries, long first) {
        ByteBuf wire = LogStoreContractTest.encode(entries);
        ByteBuf rows = Unpooled.buffer();
        RowBinary.writeRows(wire, entries.size(), first, new byte[0], rows);
        wire.release();
        // Drop the empty batch column (one zero length byte after the 8-byte seq) of every row.
        ByteBuf out = Unpooled.buffer();
        while (rows.isReadable()) {
            out.writeBytes(rows, 8);
            rows.skipBytes(1);
            for (int k = 0; k < 2; k++) {
                copyString(rows, out);
            }
            out.writeBytes(rows, 2 + 4 + 4 + 4 + 4);
            copyString(rows, out);
        }
        return ByteBufUtil.getBytes(out);
    }

    private static void copyString(ByteBuf in, ByteBuf out) {
        int len = 0;
        int shift = 0;
        int b;
        do {
            b = in.readUnsignedByte();
            out.writeByte(b);
            len |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        out.writeBytes(in, len);
    }

    @Test
    void rowsReadBackIntoTheExactWireBytes() throws IOException {
        List<LogEntry> entries = LogStoreContractTest.entries(0, 300);
        entries.add(new LogEntry("x".repeat(300), "", 65535, 4_294_967_295L, 0, 1, -0.0f, "ü".repeat(100)));
        RowBinary.Reader r = new RowBinary.Reader(new ByteArrayInputStream(scanRows(entries, 5)));
        ByteBuf buf = Unpooled.buffer();
        List<LogEntry> back = new ArrayList<>();
        long seq = 5;
        while (r.next(buf)) {
            assertThat(r.sequence()).isEqualTo(seq++);
            ByteBuf expected = Unpooled.buffer();
            LogEntryCodec.encode(entries.get(back.size()), expected);
            assertThat(ByteBufUtil.equals(buf, expected)).isTrue();
            back.add(LogEntryCodec.decodeValid(buf, 0));
        }
        assertThat(back).isEqualTo(entries);
    }

    @Test
    void anErrorClickHouseAppendsMidStreamIsReportedNotParsed() throws IOException {
        byte[] rows = scanRows(LogStoreContractTest.entries(0, 2), 0);
        byte[] error = "Code: 279, e.displayText() = DB::NetException: All connection tries failed\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[rows.length + error.length];
        System.arraycopy(rows, 0, body, 0, rows.length);
        System.arraycopy(error, 0, body, rows.length, error.length);
        RowBinary.Reader r = new RowBinary.Reader(new ByteArrayInputStream(body));
        ByteBuf buf = Unpooled.buffer();
        assertThat(r.next(buf)).isTrue();
        assertThat(r.next(buf)).isTrue();
        assertThatThrownBy(() -> r.next(buf)).isInstanceOf(IOException.class)
                .hasMessageContaining("Code: 279, e.displayText() = DB::NetException: All connection tries failed");
    }

    @Test
    void aTruncatedRowIsAnError() {
        byte[] rows = scanRows(LogStoreContractTest.entries(0, 1), 0);
        byte[] cut = java.util.Arrays.copyOf(rows, rows.length - 3);
        RowBinary.Reader r = new RowBinary.Reader(new ByteArrayInputStream(cut));
        assertThatThrownBy(() -> r.next(Unpooled.buffer())).hasMessageContaining("ended inside a row");
    }
}
