package io.logwire.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.AggregateSyntaxException;
import io.logwire.protocol.aggregate.Aggregator;
import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.codec.MessageEncoder;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
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
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Conformance with the byte-exact examples of PROTOCOL.md section 6 ({@code vectors-v2.json}):
 * frames both ways, invalid requests, and every aggregate case. Compressed frames are in
 * {@link io.logwire.protocol.compress.CompressedVectorsTest}.
 */
class VectorsV2Test {
    private static final JsonNode V2 = Vectors.v2();
    private static final int MAX = FrameConstants.DEFAULT_MAX_FRAME_LENGTH;

    /** Invalid requests the codec decodes and the server refuses: a filter or aggregate query (INVALID_QUERY). */
    private static final Map<String, String> SEMANTIC_ERRORS = Map.of(
            "query-from-bad-filter", "QueryFrom[streamId=21, fromSequence=0, limit=0, filter=colour=red]",
            "aggregate-no-pipe", "Aggregate[streamId=21, query=score>4]");

    /** A good request to send after an error, to see that the connection lives on. */
    private static final byte[] ECHO = Vectors.bytes(Vectors.named(Vectors.v1().get("frames"), "echo"));

    @TestFactory
    Stream<DynamicTest> framesDecodeToTheirFieldsAndEncodeBackByteExact() {
        return Vectors.stream(V2.get("frames"))
                .map(v -> dynamicTest(v.get("name").asText() + " (" + v.get("opcode").asText() + ")",
                        () -> checkFrameVector(v)));
    }

    private static void checkFrameVector(JsonNode v) {
        int opcode = Vectors.opcode(v);
        boolean request = opcode < 0x4000;
        byte[] bytes = Vectors.bytes(v);
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel in = request ? Pipelines.requests(MAX, alloc, null) : Pipelines.replies(MAX, alloc, null);
        // Byte by byte: a frame arrives whole at the decoder whatever the TCP segments.
        Pipelines.feedByteByByte(in, alloc, bytes);
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

    @TestFactory
    Stream<DynamicTest> invalidRequestsGiveTheirErrorCodeAndStreamAndKeepTheConnection() {
        return Vectors.stream(V2.get("invalidRequests")).map(v -> dynamicTest(
                v.get("name").asText() + " -> error " + v.get("expectError").asInt() + " (" + v.get("why").asText() + ")",
                () -> {
                    if (SEMANTIC_ERRORS.containsKey(v.get("name").asText())) {
                        checkSemanticError(v);
                    } else {
                        checkCodecError(v);
                    }
                }));
    }

    @Test
    void everySemanticErrorNameIsAVector() {
        assertThat(Vectors.stream(V2.get("invalidRequests")).map(v -> v.get("name").asText()))
                .containsAll(SEMANTIC_ERRORS.keySet());
    }

    private static void checkCodecError(JsonNode v) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
        assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(Vectors.bytes(v))))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode().code()).as("error code of %s", e).isEqualTo(v.get("expectError").asInt());
                    assertThat(Integer.toUnsignedLong(e.streamId())).as("stream").isEqualTo(v.get("streamId").asLong());
                    assertThat(e.isFatal()).as("fatal").isFalse();
                    assertThat(e.getMessage()).as("message for people").isNotBlank();
                });
        assertThat(ch.<Object>readInbound()).as("nothing decoded from a refused frame").isNull();
        ch.writeInbound(alloc.copyOf(ECHO));
        assertThat(Pipelines.drainInbound(ch)).singleElement().asString().startsWith("Echo[stream=11,");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    private static void checkSemanticError(JsonNode v) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
        ch.writeInbound(alloc.copyOf(Vectors.bytes(v)));
        Request r = ch.readInbound();
        try {
            assertThat(r).hasToString(SEMANTIC_ERRORS.get(v.get("name").asText()));
            ErrorCode refusal;
            if (r instanceof Request.QueryFrom q) {
                refusal = refusesFilter(q.filter());
            } else {
                refusal = refusesAggregate(((Request.Aggregate) r).query());
            }
            assertThat(refusal).as("the protocol's answer to %s", r).isNotNull();
            assertThat(refusal.code()).isEqualTo(v.get("expectError").asInt());
            assertThat(refusal.isFatal()).isFalse();
        } finally {
            ReferenceCountUtil.release(r);
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    private static ErrorCode refusesFilter(String filter) {
        try {
            Filter.parse(filter);
            return null;
        } catch (FilterSyntaxException e) {
            return ErrorCode.INVALID_QUERY;
        }
    }

    private static ErrorCode refusesAggregate(String query) {
        try {
            AggregateQuery.parse(query);
            return null;
        } catch (AggregateSyntaxException e) {
            return ErrorCode.INVALID_QUERY;
        }
    }

    // ------------------------------------------------------------------ aggregates

    @TestFactory
    Stream<DynamicTest> aggregateCasesGiveTheirResultOverTheVectorEntries() {
        return Vectors.stream(V2.get("aggregates").get("cases")).flatMap(v -> {
            String query = v.get("query").asText();
            return Stream.of(
                    dynamicTest("objects: " + query, () -> checkAggregate(v, false)),
                    dynamicTest("encoded: " + query, () -> checkAggregate(v, true)));
        });
    }

    private static void checkAggregate(JsonNode v, boolean encoded) throws Exception {
        AggregateQuery q = AggregateQuery.parse(v.get("query").asText());
        assertThat(AggregateQuery.parse(q.toString())).as("canonical text %s parses back", q).isEqualTo(q);
        Aggregator agg = new Aggregator(q, 100);
        List<LogEntry> entries = Vectors.entries();
        if (encoded) {
            ByteBuf buf = Unpooled.buffer();
            try {
                for (LogEntry e : entries) {
                    int offset = buf.writerIndex();
                    LogEntryCodec.encode(e, buf);
                    agg.accept(buf, offset);
                }
            } finally {
                buf.release();
            }
        } else {
            entries.forEach(agg::accept);
        }
        AggregateResult result = agg.result();
        JsonNode actual = Vectors.mapper().readTree(result.toJson());
        assertJsonEquals(actual, v.get("result"), "$");
        assertThat(AggregateResult.fromJson(result.toJson())).isEqualTo(result);
    }

    /** JSON values equal, numbers compared as numbers with doubles to 1e-9 relative. */
    static void assertJsonEquals(JsonNode actual, JsonNode expected, String path) {
        if (expected.isNumber()) {
            assertThat(actual.isNumber()).as("%s is a number: %s", path, actual).isTrue();
            if (expected.isIntegralNumber()) {
                assertThat(actual.isIntegralNumber()).as("%s is an exact integer: %s", path, actual).isTrue();
                assertThat(actual.bigIntegerValue()).as(path).isEqualTo(expected.bigIntegerValue());
            } else {
                assertThat(actual.isFloatingPointNumber()).as("%s is a double: %s", path, actual).isTrue();
                double e = expected.doubleValue();
                double a = actual.doubleValue();
                assertThat(Math.abs(a - e)).as("%s: %s vs %s", path, a, e)
                        .isLessThanOrEqualTo(1e-9 * Math.max(Math.abs(a), Math.abs(e)));
            }
            return;
        }
        assertThat(actual.getNodeType()).as("%s type", path).isEqualTo(expected.getNodeType());
        if (expected.isArray()) {
            assertThat(actual.size()).as("%s size", path).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertJsonEquals(actual.get(i), expected.get(i), path + "[" + i + "]");
            }
        } else if (expected.isObject()) {
            assertThat(iterable(actual.fieldNames())).as("%s members", path)
                    .containsExactlyInAnyOrderElementsOf(iterable(expected.fieldNames()));
            expected.fieldNames().forEachRemaining(n -> assertJsonEquals(actual.get(n), expected.get(n), path + "." + n));
        } else {
            assertThat(actual).as(path).isEqualTo(expected);
        }
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> invalidAggregateQueriesAreInvalidQuery() {
        return Vectors.stream(V2.get("aggregates").get("invalid")).map(v -> dynamicTest(
                v.get("query").asText() + " -> error " + v.get("expectError").asInt(), () -> {
                    assertThat(v.get("expectError").asInt()).isEqualTo(ErrorCode.INVALID_QUERY.code());
                    try {
                        AggregateQuery q = AggregateQuery.parse(v.get("query").asText());
                        fail("parsed " + v.get("query").asText() + " as " + q);
                    } catch (AggregateSyntaxException e) {
                        assertThat(e.getMessage()).isNotBlank();
                    }
                }));
    }
}
