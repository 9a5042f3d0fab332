package io.logwire.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.codec.MessageEncoder;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.FilterSyntaxException;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.protocol.support.Describe;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Conformance with the byte-exact examples of PROTOCOL.md sections 1-5
 * ({@code vectors.json}): every vector is its own test.
 */
class VectorsTest {
    private static final JsonNode V1 = Vectors.v1();
    private static final int MAX = FrameConstants.DEFAULT_MAX_FRAME_LENGTH;

    /**
     * Invalid requests whose error is decided by the server, not the codec: the codec decodes
     * them, and these tests check the decoded request against the protocol rule. The
     * server's end-to-end tests check the real ERROR frame for them.
     */
    private static final Set<String> SEMANTIC_ERRORS =
            Set.of("double-overflow", "negate-overflow", "query-unknown-field", "hello-unsupported-version");

    /** A good request to send after an error, to see that the connection lives on. */
    private static final byte[] ECHO = Vectors.bytes(Vectors.named(V1.get("frames"), "echo"));

    // ------------------------------------------------------------------ entries

    @TestFactory
    Stream<DynamicTest> entriesDecodeToTheirFieldsAndEncodeBackByteExact() {
        return Vectors.stream(V1.get("entries")).map(v -> dynamicTest(
                "entry " + v.get("index").asInt() + " (" + v.get("fields").get("username").asText() + ")", () -> {
                    JsonNode f = v.get("fields");
                    byte[] bytes = Vectors.bytes(v);
                    TrackingAllocator alloc = new TrackingAllocator();
                    ByteBuf in = alloc.copyOf(bytes);
                    ByteBuf out = alloc.buffer();
                    try {
                        LogEntry e = LogEntryCodec.decode(in);
                        assertThat(in.readableBytes()).as("bytes left after the entry").isZero();
                        assertThat(e.username()).isEqualTo(f.get("username").asText());
                        assertThat(e.ip()).isEqualTo(f.get("IP").asText());
                        assertThat(e.server()).isEqualTo(f.get("server").asText());
                        assertThat(e.port()).isEqualTo(f.get("port").asInt());
                        assertThat(e.accessTime()).isEqualTo(f.get("accessTime").asLong());
                        assertThat(e.dataSent()).isEqualTo(f.get("dataSent").asLong());
                        assertThat(e.dataReceived()).isEqualTo(f.get("dataReceived").asLong());
                        assertThat(Integer.toHexString(Float.floatToRawIntBits(e.score())))
                                .as("scoreBits").isEqualTo(Integer.toHexString(
                                        Integer.parseUnsignedInt(f.get("scoreBits").asText(), 16)));
                        assertThat((double) e.score()).as("score").isEqualTo(f.get("score").asDouble());
                        assertThat(e).isEqualTo(Vectors.entry(f));

                        // Encoding the documented fields (not the decoded object) gives the bytes.
                        LogEntry documented = Vectors.entry(f);
                        assertThat(LogEntryCodec.encodedSize(documented)).isEqualTo(bytes.length);
                        LogEntryCodec.encode(documented, out);
                        assertThat(Hex.of(out)).isEqualTo(v.get("hex").asText());
                    } finally {
                        in.release();
                        out.release();
                    }
                    alloc.assertAllReleased();
                }));
    }

    // ------------------------------------------------------------------ frames

    @TestFactory
    Stream<DynamicTest> framesDecodeToTheirFieldsAndEncodeBackByteExact() {
        return Vectors.stream(V1.get("frames"))
                .map(v -> dynamicTest(v.get("name").asText() + " (" + v.get("opcode").asText() + ")",
                        () -> checkFrameVector(v)));
    }

    /** HELLO and HELLO_OK of version 2 (section 6.1) are the part of version 2 this codec speaks. */
    @TestFactory
    Stream<DynamicTest> version2HelloFramesDecodeAndEncodeByteExact() {
        return Stream.of("hello-v2", "hello-ok-v2")
                .map(name -> Vectors.named(Vectors.v2().get("frames"), name))
                .map(v -> dynamicTest(v.get("name").asText(), () -> checkFrameVector(v)));
    }

    private static void checkFrameVector(JsonNode v) {
        int opcode = Vectors.opcode(v);
        boolean request = opcode < 0x4000;
        byte[] bytes = Vectors.bytes(v);
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel in = request ? Pipelines.requests(MAX, alloc, null) : Pipelines.replies(MAX, alloc, null);
        in.writeInbound(alloc.copyOf(bytes));
        Message m = in.readInbound();
        try {
            assertThat(in.<Object>readInbound()).as("a second message from one frame").isNull();
            assertThat(m).isInstanceOf(request ? Request.class : Reply.class);
            assertThat(Integer.toHexString(m.wireOpcode())).as("opcode").isEqualTo(Integer.toHexString(opcode));
            assertThat(Integer.toUnsignedLong(m.streamId())).as("stream id").isEqualTo(v.get("streamId").asLong());
            assertThat(Describe.asVectorJson(m)).as("decoded fields of %s", Describe.message(m))
                    .isEqualTo(v.get("decoded"));

            ByteBuf encoded = MessageCodec.encode(m, alloc);
            try {
                assertThat(Hex.of(encoded)).as("MessageCodec.encode").isEqualTo(v.get("hex").asText());
            } finally {
                encoded.release();
            }

            EmbeddedChannel out = new EmbeddedChannel(MessageEncoder.INSTANCE);
            out.config().setAllocator(alloc);
            out.writeOutbound(ReferenceCountUtil.retain(m)); // the encoder releases what it writes
            assertThat(Hex.of(Pipelines.drainOutbound(out))).as("MessageEncoder").isEqualTo(v.get("hex").asText());
            assertThat(out.finish()).isFalse();
        } finally {
            ReferenceCountUtil.release(m);
        }
        assertThat(in.finish()).isFalse();
        alloc.assertAllReleased();
    }

    // ------------------------------------------------------------------ invalid requests

    @TestFactory
    Stream<DynamicTest> invalidRequestsGiveTheirErrorCodeStreamAndFatality() {
        return Vectors.stream(V1.get("invalidRequests")).map(v -> dynamicTest(
                v.get("name").asText() + " -> error " + v.get("expectError").asInt(), () -> {
                    if (SEMANTIC_ERRORS.contains(v.get("name").asText())) {
                        checkSemanticError(v);
                    } else {
                        checkCodecError(v);
                    }
                }));
    }

    @Test
    void everySemanticErrorNameIsAVector() {
        assertThat(Vectors.stream(V1.get("invalidRequests")).map(v -> v.get("name").asText()))
                .containsAll(SEMANTIC_ERRORS);
    }

    /** The codec refuses the frame itself: a ProtocolCodecException out of the pipeline. */
    private static void checkCodecError(JsonNode v) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
        assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(Vectors.bytes(v))))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode().code()).as("error code of %s", e).isEqualTo(v.get("expectError").asInt());
                    assertThat(Integer.toUnsignedLong(e.streamId())).as("stream").isEqualTo(v.get("streamId").asLong());
                    assertThat(e.isFatal()).as("fatal").isEqualTo(v.get("fatal").asBoolean());
                    assertThat(e.getMessage()).as("message for people").isNotBlank();
                });
        assertThat(ch.<Object>readInbound()).as("nothing decoded from a refused frame").isNull();
        if (!v.get("fatal").asBoolean()) {
            // Not fatal: the connection lives on and the next request decodes.
            ch.writeInbound(alloc.copyOf(ECHO));
            assertThat(Pipelines.drainInbound(ch)).singleElement().asString().startsWith("Echo[stream=11,");
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    /**
     * The codec decodes the request; the protocol rule (section 4) then refuses it. The
     * server's end-to-end test checks the ERROR frame it really sends.
     */
    private static void checkSemanticError(JsonNode v) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
        ch.writeInbound(alloc.copyOf(Vectors.bytes(v)));
        Request r = ch.readInbound();
        try {
            assertThat(r).isNotNull();
            assertThat(Integer.toUnsignedLong(r.streamId())).as("stream").isEqualTo(v.get("streamId").asLong());
            ErrorCode refusal = protocolRefusal(r);
            assertThat(refusal).as("the protocol's answer to %s", r).isNotNull();
            assertThat(refusal.code()).isEqualTo(v.get("expectError").asInt());
            assertThat(refusal.isFatal()).as("fatal").isEqualTo(v.get("fatal").asBoolean());
        } finally {
            ReferenceCountUtil.release(r);
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    /** The error section 4 prescribes for a well-formed request, or null if it is fine. */
    private static ErrorCode protocolRefusal(Request r) {
        if (r instanceof Request.DoubleValue d) {
            try {
                Math.multiplyExact(d.value(), 2);
                return null;
            } catch (ArithmeticException e) {
                return ErrorCode.OVERFLOW;
            }
        }
        if (r instanceof Request.NegateValue n) {
            try {
                Math.negateExact(n.value());
                return null;
            } catch (ArithmeticException e) {
                return ErrorCode.OVERFLOW;
            }
        }
        if (r instanceof Request.Query q) {
            try {
                Filter.parse(q.filter());
                return null;
            } catch (FilterSyntaxException e) {
                return ErrorCode.INVALID_QUERY;
            }
        }
        if (r instanceof Request.Hello h) {
            // A server speaking versions 1 and 2 refuses any other.
            return h.protocolVersion() == 1 || h.protocolVersion() == 2 ? null : ErrorCode.UNSUPPORTED_VERSION;
        }
        throw new AssertionError("no semantic rule for " + r);
    }

    @Test
    void semanticErrorVectorsDecodeToTheValuesTheyAreAbout() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
        for (String name : List.of("double-overflow", "negate-overflow", "query-unknown-field",
                "hello-unsupported-version")) {
            ch.writeInbound(alloc.copyOf(Vectors.bytes(Vectors.named(V1.get("invalidRequests"), name))));
        }
        assertThat(Pipelines.drainInbound(ch)).containsExactly(
                "DoubleValue[streamId=21, value=2147483647]",
                "NegateValue[streamId=21, value=-2147483648]",
                "Query[streamId=21, limit=0, filter=colour=red]",
                "Hello[streamId=21, protocolVersion=99, acceptedCodecs=0, clientName=]");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    // ------------------------------------------------------------------ fatal frames

    @TestFactory
    Stream<DynamicTest> fatalFramesRaiseTheirErrorOnStreamZeroAndDiscardTheRest() {
        return Vectors.stream(V1.get("fatalFrames")).map(v -> dynamicTest(
                v.get("name").asText() + " -> error " + v.get("expectError").asInt(), () -> {
                    TrackingAllocator alloc = new TrackingAllocator();
                    EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
                    // A good frame, the bad header, and a good frame in one read.
                    byte[] stream = Hex.concat(ECHO, Vectors.bytes(v), ECHO);
                    assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(stream)))
                            .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                                assertThat(e.errorCode().code()).isEqualTo(v.get("expectError").asInt());
                                assertThat(e.streamId()).isEqualTo(FrameConstants.CONNECTION_STREAM);
                                assertThat(e.isFatal()).isEqualTo(v.get("fatal").asBoolean()).isTrue();
                            });
                    assertThat(Pipelines.drainInbound(ch)).as("only the frame before the bad header")
                            .singleElement().asString().startsWith("Echo[stream=11,");
                    // Whatever comes later is discarded, without further errors.
                    ch.writeInbound(alloc.copyOf(ECHO));
                    ch.writeInbound(alloc.copyOf(ECHO));
                    assertThat(ch.<Object>readInbound()).isNull();
                    assertThat(ch.finish()).isFalse();
                    alloc.assertAllReleased();
                }));
    }

    // ------------------------------------------------------------------ filters

    @TestFactory
    Stream<DynamicTest> filtersMatchExactlyTheirEntriesAsObjectsAndAsBytes() {
        JsonNode filters = V1.get("filters");
        List<Integer> dataset = ints(filters.get("dataset"));
        assertThat(dataset).isNotEmpty();
        return Vectors.stream(filters.get("cases")).map(c -> dynamicTest("'" + c.get("filter").asText() + "'", () -> {
            String text = c.get("filter").asText();
            List<Integer> expected = ints(c.get("matches"));
            Filter filter = Filter.parse(text);
            assertThat(matchesOnObjects(filter.compile(), dataset)).as("on LogEntry objects").isEqualTo(expected);
            assertThat(matchesOnBytes(filter.compile(), dataset)).as("on encoded entries").isEqualTo(expected);
            // The canonical text means the same.
            Filter reparsed = Filter.parse(filter.toString());
            assertThat(reparsed).as("canonical text '%s'", filter).isEqualTo(filter);
            assertThat(matchesOnObjects(reparsed.compile(), dataset)).isEqualTo(expected);
        }));
    }

    /** A JSON array of integers (possibly empty). */
    private static List<Integer> ints(JsonNode array) {
        assertThat(array.isArray()).as("an array: %s", array).isTrue();
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    private static List<Integer> matchesOnObjects(EntryPredicate p, List<Integer> dataset) {
        return dataset.stream().filter(i -> p.test(Vectors.entries().get(i))).toList();
    }

    private static List<Integer> matchesOnBytes(EntryPredicate p, List<Integer> dataset) {
        // All entries in one buffer, after a few junk bytes, as a stored segment would hold them.
        ByteBuf buf = new TrackingAllocator().buffer().writeBytes(new byte[] {(byte) 0xEE, (byte) 0xEE, (byte) 0xEE});
        try {
            List<Integer> offsets = new ArrayList<>();
            for (int i : dataset) {
                offsets.add(buf.writerIndex());
                LogEntryCodec.encode(Vectors.entries().get(i), buf);
            }
            return IntStream.range(0, dataset.size()).filter(k -> p.test(buf, offsets.get(k)))
                    .mapToObj(dataset::get).toList();
        } finally {
            buf.release();
        }
    }

    @TestFactory
    Stream<DynamicTest> invalidFiltersAreRefused() {
        return Vectors.stream(V1.get("filters").get("invalid")).map(c -> dynamicTest(
                "'" + c.get("filter").asText() + "'", () -> {
                    assertThat(c.get("expectError").asInt()).isEqualTo(ErrorCode.INVALID_QUERY.code());
                    assertThatThrownBy(() -> Filter.parse(c.get("filter").asText()))
                            .isInstanceOf(FilterSyntaxException.class)
                            .hasMessageMatching("(?s).*\\S.*");
                }));
    }
}
