package io.logwire.protocol.entry;

import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SEQ_ROWS rows (PROTOCOL.md 6.3) and batch ids (6.2). */
class SeqEntryCodecTest {

    /** The server's path: rows built from (sequence, stored entry bytes) give the vector's frame. */
    @Test
    void rowsBuiltFromStoredEntryBytesGiveTheVectorFrame() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf store = alloc.buffer();
        int[] offsets = new int[Vectors.entries().size() + 1];
        for (int i = 0; i < Vectors.entries().size(); i++) {
            offsets[i] = store.writerIndex();
            LogEntryCodec.encode(Vectors.entries().get(i), store);
        }
        offsets[Vectors.entries().size()] = store.writerIndex();
        ByteBuf rows = alloc.buffer();
        for (int i = 1; i <= 2; i++) {
            SeqEntryCodec.write(rows, i, store, offsets[i], offsets[i + 1] - offsets[i]);
        }
        Reply.SeqRows reply = new Reply.SeqRows(Opcode.QUERY_FROM, 5, 2, rows);
        ByteBuf frame = MessageCodec.encode(reply, alloc);
        assertThat(Hex.of(frame)).isEqualTo(Vectors.named(Vectors.v2().get("frames"), "query-from-rows")
                .get("hex").asText());
        assertThat(SeqEntryCodec.decodeBatch(rows, 2)).containsExactly(
                new SeqEntry(1, Vectors.entries().get(1)), new SeqEntry(2, Vectors.entries().get(2)));
        frame.release();
        rows.release();
        store.release();
        alloc.assertAllReleased();
    }

    @Test
    void badRowsNameTheirIndex() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf rows = alloc.buffer();
        SeqEntryCodec.encodeAll(List.of(new SeqEntry(7, Vectors.entries().get(0))), rows);
        int good = rows.readableBytes();
        assertThatThrownBy(() -> SeqEntryCodec.validateBatch(rows, 0, good, 2))
                .isInstanceOfSatisfying(MalformedEntryException.class, e -> assertThat(e.entryIndex()).isEqualTo(1));
        rows.writeLong(8).writeShort(1);
        assertThatThrownBy(() -> SeqEntryCodec.validateBatch(rows, 0, rows.readableBytes(), 2))
                .isInstanceOfSatisfying(MalformedEntryException.class, e -> {
                    assertThat(e.entryIndex()).isEqualTo(1);
                    assertThat(e.getMessage()).contains("truncated");
                });
        assertThatThrownBy(() -> SeqEntryCodec.validateBatch(rows, 0, rows.readableBytes(), 1))
                .isInstanceOfSatisfying(MalformedEntryException.class, e -> {
                    assertThat(e.entryIndex()).isEqualTo(1);
                    assertThat(e.getMessage()).contains("left over");
                });
        rows.release();
        alloc.assertAllReleased();
    }

    @Test
    void batchIdsRoundTripThroughHexBytesAndUuids() {
        BatchId id = BatchId.parse("000102030405060708090A0B0C0D0E0F");
        assertThat(id).hasToString("000102030405060708090a0b0c0d0e0f");
        assertThat(Hex.of(id.toBytes())).isEqualTo("000102030405060708090a0b0c0d0e0f");
        assertThat(id.isZero()).isFalse();
        assertThat(BatchId.of(0, 0).isZero()).isTrue();
        UUID u = UUID.randomUUID();
        assertThat(BatchId.of(u)).isEqualTo(new BatchId(u.getMostSignificantBits(), u.getLeastSignificantBits()));
        assertThat(BatchId.random()).isNotEqualTo(BatchId.random());
        assertThat(BatchId.random().isZero()).isFalse();
        assertThatThrownBy(() -> BatchId.parse("0102")).hasMessageContaining("32 hex digits");
    }
}
