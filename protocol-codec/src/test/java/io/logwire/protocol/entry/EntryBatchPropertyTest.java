package io.logwire.protocol.entry;

import io.logwire.protocol.support.Gen;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;

import static net.jqwik.api.Tuple.of;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Batches of entries (UPLOAD and ROWS bodies, section 4) in every kind of buffer a pipeline
 * can hand over: heap, direct, a slice inside a larger buffer, and a composite of two parts.
 * Batch validation, whatever shortcuts it takes, names the same first bad entry as checking
 * the entries one by one.
 */
class EntryBatchPropertyTest {

    enum Kind { HEAP, DIRECT, SLICE, COMPOSITE }

    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<List<LogEntry>> batches() {
        // Mostly ASCII entries (the common case, which may be validated in bulk), some not.
        Arbitrary<String> strings = Arbitraries.frequencyOf(
                of(3, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(20)),
                of(1, Gen.strings(8)));
        return Gen.entries(strings).list().ofMaxSize(12);
    }

    private static byte[] encode(List<LogEntry> entries) {
        ByteBuf buf = new TrackingAllocator().heapBuffer();
        try {
            LogEntryCodec.encodeAll(entries, buf);
            byte[] out = new byte[buf.readableBytes()];
            buf.getBytes(0, out);
            return out;
        } finally {
            buf.release();
        }
    }

    /** {@code bytes} as the readable bytes of a buffer of {@code kind}; released with it. */
    private static ByteBuf holding(byte[] bytes, Kind kind, int split, TrackingAllocator alloc) {
        return switch (kind) {
            case HEAP -> alloc.heapBuffer(bytes.length).writeBytes(bytes);
            case DIRECT -> alloc.directBuffer(bytes.length).writeBytes(bytes);
            case SLICE -> alloc.heapBuffer(bytes.length + 14).writeZero(7).writeBytes(bytes).writeZero(7)
                    .slice(7, bytes.length);
            case COMPOSITE -> {
                int k = bytes.length == 0 ? 0 : split % (bytes.length + 1);
                CompositeByteBuf c = alloc.compositeBuffer();
                c.addComponents(true, alloc.copyOf(bytes, 0, k), alloc.copyOf(bytes, k, bytes.length));
                yield c;
            }
        };
    }

    @Property(tries = 400)
    void everyKindOfBufferDecodesTheSameBatch(@ForAll("batches") List<LogEntry> entries, @ForAll Kind kind,
                                              @ForAll @IntRange(max = 10_000) int split) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = holding(encode(entries), kind, split, alloc);
        try {
            assertThat(LogEntryCodec.decodeBatch(buf, entries.size())).isEqualTo(entries);
            List<LogEntry> oneByOne = new ArrayList<>();
            while (buf.isReadable()) {
                oneByOne.add(LogEntryCodec.decode(buf));
            }
            assertThat(oneByOne).isEqualTo(entries);
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }

    @Provide
    Arbitrary<List<int[]>> corruptions() {
        Arbitrary<Integer> value = Arbitraries.oneOf(Arbitraries.integers().between(0, 255),
                Arbitraries.of(0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF));
        return Arbitraries.integers().between(0, 1 << 20).flatMap(pos -> value.map(v -> new int[] {pos, v}))
                .list().ofMaxSize(3);
    }

    /** The first entry {@link LogEntryCodec#validate} refuses, walking the bytes one entry at a time; -1 if none. */
    private static long firstBadEntry(ByteBuf buf, int offset, int length, long count) {
        int limit = offset + length;
        int p = offset;
        for (long n = 0; n < count; n++) {
            try {
                p += LogEntryCodec.validate(buf, p, limit);
            } catch (MalformedEntryException e) {
                return n;
            }
        }
        return p == limit ? -1 : count;
    }

    @Property(tries = 600)
    void batchValidationNamesTheFirstEntryThatSingleEntryValidationRefuses(
            @ForAll("batches") List<LogEntry> entries, @ForAll("corruptions") List<int[]> corruptions,
            @ForAll @IntRange(min = -1, max = 1) int countError, @ForAll Kind kind,
            @ForAll @IntRange(max = 10_000) int split) {
        byte[] bytes = encode(entries);
        for (int[] c : corruptions) {
            if (bytes.length > 0) {
                bytes[c[0] % bytes.length] = (byte) c[1];
            }
        }
        long count = Math.max(0, entries.size() + countError);
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = holding(bytes, kind, split, alloc);
        try {
            int offset = buf.readerIndex();
            long expected = firstBadEntry(buf, offset, bytes.length, count);
            if (expected < 0) {
                assertThatCode(() -> LogEntryCodec.validateBatch(buf, offset, bytes.length, count))
                        .doesNotThrowAnyException();
            } else {
                assertThatThrownBy(() -> LogEntryCodec.validateBatch(buf, offset, bytes.length, count))
                        .isInstanceOfSatisfying(MalformedEntryException.class, e -> {
                            assertThat(e.entryIndex()).isEqualTo(expected);
                            assertThat(e.getMessage()).startsWith("entry " + expected + ": ");
                        });
            }
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }
}
