package io.logwire.protocol.codec;

import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.message.BatchId;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.ContentHolder;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.protocol.support.Describe;
import io.logwire.protocol.support.Gen;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code decode(encode(m)) == m} for every message type (section 4 and the version-2 HELLO
 * fields), through the real pipelines on both sides.
 */
class MessageRoundTripPropertyTest {

    // Generated messages carry plain byte[]-backed buffers (no leak tracking, nothing to
    // release); each try copies them into tracked buffers before use, see tracked().

    private static Arbitrary<Integer> requestStreams() {
        return Arbitraries.integers().filter(s -> s != 0);
    }

    private static Arbitrary<String> text() {
        return Gen.strings(16);
    }

    private static Arbitrary<byte[]> entryBytes() {
        return Gen.entries(4).list().ofMaxSize(30).map(l -> {
            ByteBuf buf = Unpooled.buffer();
            LogEntryCodec.encodeAll(l, buf);
            byte[] out = new byte[buf.readableBytes()];
            buf.readBytes(out);
            return out;
        });
    }

    private static int count(byte[] entries) {
        ByteBuf buf = Unpooled.wrappedBuffer(entries);
        int n = 0;
        for (int p = 0; p < entries.length; p += LogEntryCodec.entryLength(buf, p)) {
            n++;
        }
        return n;
    }

    private static Arbitrary<byte[]> anyBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(2000);
    }

    @Provide
    Arbitrary<Message> requests() {
        Arbitrary<Integer> s = requestStreams();
        return Arbitraries.oneOf(List.of(
                Combinators.combine(s, entryBytes())
                        .as((id, e) -> new Request.Upload(id, count(e), Unpooled.wrappedBuffer(e))),
                Combinators.combine(s, Gen.u32(), text()).as(Request.Query::new),
                Combinators.combine(s, Gen.u32(), text()).as(Request.Search::new),
                Combinators.combine(s, anyBytes()).as((id, b) -> new Request.Echo(id, Unpooled.wrappedBuffer(b))),
                Combinators.combine(s, Arbitraries.integers()).as(Request.DoubleValue::new),
                Combinators.combine(s, Arbitraries.integers()).as(Request.NegateValue::new),
                s.map(Request.Stats::new),
                Combinators.combine(s, text()).as((id, name) -> new Request.Hello(id, 1, 0, name)),
                Combinators.combine(s, Gen.u16(), text()).as((id, codecs, name) -> new Request.Hello(id, 2, codecs, name)),
                Combinators.combine(s, batchIds(), entryBytes())
                        .as((id, b, e) -> new Request.UploadOnce(id, b, count(e), Unpooled.wrappedBuffer(e))),
                Combinators.combine(s, Arbitraries.longs(), Gen.u32(), text()).as(Request.QueryFrom::new),
                Combinators.combine(s, Arbitraries.longs(), text()).as(Request.Tail::new),
                Combinators.combine(s, Arbitraries.integers()).as(Request.Cancel::new),
                Combinators.combine(s, text()).as(Request.Aggregate::new),
                Combinators.combine(s, text()).as(Request.Auth::new)));
    }

    private static Arbitrary<BatchId> batchIds() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(BatchId::new)
                .filter(b -> !b.isZero());
    }

    private static Arbitrary<byte[]> seqEntryBytes() {
        return Combinators.combine(Arbitraries.longs().greaterOrEqual(0), Gen.entries(4)).as(SeqEntry::new)
                .list().ofMaxSize(30).map(l -> {
                    ByteBuf buf = Unpooled.buffer();
                    SeqEntryCodec.encodeAll(l, buf);
                    byte[] out = new byte[buf.readableBytes()];
                    buf.readBytes(out);
                    return out;
                });
    }

    private static int seqCount(byte[] rows) {
        ByteBuf buf = Unpooled.wrappedBuffer(rows);
        int n = 0;
        for (int p = 0; p < rows.length; p += SeqEntryCodec.SEQUENCE_SIZE + LogEntryCodec.entryLength(buf, p + 8)) {
            n++;
        }
        return n;
    }

    @Provide
    Arbitrary<Message> replies() {
        Arbitrary<Integer> s = Arbitraries.integers();
        Arbitrary<Opcode> scans = Arbitraries.of(Opcode.QUERY, Opcode.SEARCH);
        Arbitrary<Opcode> seqScans = Arbitraries.of(Opcode.QUERY_FROM, Opcode.TAIL);
        Arbitrary<Long> u64 = Arbitraries.longs().greaterOrEqual(0);
        return Arbitraries.oneOf(List.of(
                Combinators.combine(s, Gen.u32(), u64).as(Reply.UploadOk::new),
                Combinators.combine(scans, s, entryBytes())
                        .as((op, id, e) -> new Reply.Rows(op, id, count(e), Unpooled.wrappedBuffer(e))),
                Combinators.combine(scans, s, u64).as(Reply.ScanDone::new),
                Combinators.combine(s, anyBytes()).as((id, b) -> new Reply.EchoOk(id, Unpooled.wrappedBuffer(b))),
                Combinators.combine(s, Arbitraries.integers()).as(Reply.DoubleOk::new),
                Combinators.combine(s, Arbitraries.integers()).as(Reply.NegateOk::new),
                Combinators.combine(s, text()).as(Reply.StatsOk::new),
                Combinators.combine(s, Gen.u32(), text()).as((id, max, name) -> new Reply.HelloOk(id, 1, max, 0, name)),
                Combinators.combine(s, Arbitraries.integers().between(2, 0xFFFF), Gen.u32(), Gen.u16(), text())
                        .as(Reply.HelloOk::new),
                Combinators.combine(s, Gen.u16(), text().filter(t -> !t.isEmpty())).as(Reply.Error::new),
                Combinators.combine(s, Gen.u32(), u64, Arbitraries.of(true, false)).as(Reply.UploadOnceOk::new),
                Combinators.combine(seqScans, s, seqEntryBytes())
                        .as((op, id, e) -> new Reply.SeqRows(op, id, seqCount(e), Unpooled.wrappedBuffer(e))),
                Combinators.combine(seqScans, s, u64, Arbitraries.longs()).as(Reply.SeqScanDone::new),
                s.map(Reply.CancelOk::new),
                Combinators.combine(s, text()).as(Reply.AggregateOk::new),
                Combinators.combine(s, text()).as(Reply.AuthOk::new),
                Combinators.combine(s, Gen.u16(), Gen.u32(), text().filter(t -> !t.isEmpty()))
                        .as(Reply.ErrorRetry::new)));
    }

    /** The same message with its carried bytes copied into a buffer from {@code alloc}. */
    private static Message tracked(Message m, TrackingAllocator alloc) {
        if (!(m instanceof ContentHolder h)) {
            return m;
        }
        byte[] bytes = new byte[h.content().readableBytes()];
        h.content().getBytes(h.content().readerIndex(), bytes);
        ByteBuf copy = alloc.copyOf(bytes);
        if (m instanceof Request.Upload u) {
            return new Request.Upload(u.streamId(), u.count(), copy);
        } else if (m instanceof Request.Echo e) {
            return new Request.Echo(e.streamId(), copy);
        } else if (m instanceof Reply.Rows r) {
            return new Reply.Rows(r.request(), r.streamId(), r.count(), copy);
        } else if (m instanceof Request.UploadOnce u) {
            return new Request.UploadOnce(u.streamId(), u.batchId(), u.count(), copy);
        } else if (m instanceof Reply.SeqRows r) {
            return new Reply.SeqRows(r.request(), r.streamId(), r.count(), copy);
        }
        return new Reply.EchoOk(m.streamId(), copy);
    }

    @Property(tries = 400)
    void requestsRoundTrip(@ForAll("requests") Message generated) {
        roundTrip(generated, false);
    }

    @Property(tries = 400)
    void repliesRoundTrip(@ForAll("replies") Message generated) {
        roundTrip(generated, true);
    }

    private static void roundTrip(Message generated, boolean reply) {
        TrackingAllocator alloc = new TrackingAllocator();
        Message m = tracked(generated, alloc);
        try {
            EmbeddedChannel out = new EmbeddedChannel(MessageEncoder.INSTANCE);
            out.config().setAllocator(alloc);
            out.writeOutbound(ReferenceCountUtil.retain(m));
            byte[] wire = Pipelines.drainOutbound(out);
            assertThat(out.finish()).isFalse();

            ByteBuf single = MessageCodec.encode(m, alloc);
            try {
                assertThat(bytes(single)).as("encode(m, alloc) equals the encoder's output")
                        .isEqualTo(wire);
            } finally {
                single.release();
            }
            assertThat(Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(wire).getInt()))
                    .as("length field").isEqualTo(wire.length - 4L);

            EmbeddedChannel in = reply
                    ? Pipelines.replies(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null)
                    : Pipelines.requests(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null);
            in.writeInbound(alloc.copyOf(wire));
            List<Object> decoded = new ArrayList<>();
            for (Object d; (d = in.readInbound()) != null; ) {
                decoded.add(d);
            }
            try {
                assertThat(decoded).hasSize(1);
                // Records compare ByteBuf fields by their readable bytes.
                assertThat(decoded.get(0)).as("decoded %s", Describe.message(decoded.get(0))).isEqualTo(m);
            } finally {
                decoded.forEach(ReferenceCountUtil::release);
            }
            assertThat(in.finish()).isFalse();
        } finally {
            ReferenceCountUtil.release(m);
        }
        alloc.assertAllReleased();
    }

    /** Readable bytes of a buffer, without moving it. */
    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    @Property(tries = 60)
    void largeEntryBatchesStayOneFrame(@ForAll("bigBatches") List<LogEntry> entries) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf content = alloc.buffer();
        LogEntryCodec.encodeAll(entries, content);
        Reply.Rows rows = new Reply.Rows(Opcode.QUERY, 1, entries.size(), content);
        EmbeddedChannel out = new EmbeddedChannel(MessageEncoder.INSTANCE);
        out.config().setAllocator(alloc);
        out.writeOutbound(ReferenceCountUtil.retain(rows));
        byte[] wire = Pipelines.drainOutbound(out);
        EmbeddedChannel in = Pipelines.replies(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null);
        in.writeInbound(alloc.copyOf(wire));
        Reply.Rows decoded = in.readInbound();
        try {
            assertThat(LogEntryCodec.decodeBatch(decoded.entries(), decoded.count())).isEqualTo(entries);
        } finally {
            decoded.release();
            rows.release();
        }
        assertThat(in.finish()).isFalse();
        assertThat(out.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Provide
    Arbitrary<List<LogEntry>> bigBatches() {
        return Gen.entries(12).list().ofMinSize(20).ofMaxSize(80);
    }
}
