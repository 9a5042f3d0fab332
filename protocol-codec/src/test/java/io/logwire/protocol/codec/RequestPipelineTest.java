package io.logwire.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Transcript;
import io.logwire.protocol.support.Vectors;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's inbound pipeline, {@code FrameDecoder} + {@code RequestDecoder}: the same
 * requests and errors come out however TCP happens to cut the byte stream.
 */
class RequestPipelineTest {
    private static final JsonNode V1 = Vectors.v1();
    private static final int MAX = 64 * 1024;

    /** Every request frame of the vectors, back to back. */
    private static final byte[] ALL_REQUESTS = Hex.concat(Vectors.stream(V1.get("frames"))
            .filter(v -> Vectors.opcode(v) < 0x4000).map(Vectors::bytes).toArray(byte[][]::new));

    private static byte[] frame(String name) {
        return Vectors.bytes(Vectors.named(V1.get("frames"), name));
    }

    private static byte[] invalid(String name) {
        return Vectors.bytes(Vectors.named(V1.get("invalidRequests"), name));
    }

    private static byte[] fatal(String name) {
        return Vectors.bytes(Vectors.named(V1.get("fatalFrames"), name));
    }

    /** Good requests with non-fatal errors between them: each error hits only its own frame. */
    private static final byte[] WITH_ERRORS = Hex.concat(
            frame("echo"),
            invalid("unknown-opcode"),
            frame("double"),
            invalid("upload-nan-score"),
            invalid("upload-second-entry-bad"),
            frame("upload-two-entries"),
            invalid("request-on-stream-0"),
            invalid("query-invalid-utf8"),
            frame("query"),
            invalid("double-short-body"),
            frame("stats"));

    private static final List<String> WITH_ERRORS_TRANSCRIPT = List.of(
            "Echo[stream=11, content=48656c6c6f2c20776f726c64]",
            "ERROR UNKNOWN_OPCODE (3) stream=21 fatal=false",
            "DoubleValue[streamId=15, value=7654321]",
            "ERROR INVALID_REQUEST (4) stream=21 fatal=false",
            "ERROR INVALID_REQUEST (4) stream=21 fatal=false",
            "Upload[stream=7, count=2, content=" + Vectors.entryHex().get(0) + Vectors.entryHex().get(1) + "]",
            "ERROR INVALID_REQUEST (4) stream=0 fatal=false",
            "ERROR INVALID_REQUEST (4) stream=21 fatal=false",
            "Query[streamId=8, limit=0, filter=score>4.0, username=Amy Brown]",
            "ERROR INVALID_REQUEST (4) stream=21 fatal=false",
            "Stats[streamId=17]");

    /** Runs {@code feeding} on a fresh pipeline and returns what reached its end, checking for leaks. */
    private static List<String> transcript(byte[] bytes, Feeding feeding) {
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, transcript);
        feeding.feed(ch, alloc, bytes);
        List<String> messages = Pipelines.drainInbound(ch);
        assertThat(ch.finish()).as("nothing left in the pipeline").isFalse();
        alloc.assertAllReleased();
        assertThat(transcript.events()).as("messages and errors").containsAll(messages);
        return transcript.events();
    }

    @FunctionalInterface
    private interface Feeding {
        void feed(EmbeddedChannel ch, TrackingAllocator alloc, byte[] bytes);
    }

    /** Each request frame decoded on its own pipeline. */
    private static List<String> decodedOneByOne() {
        List<String> out = new ArrayList<>();
        Vectors.stream(V1.get("frames")).filter(v -> Vectors.opcode(v) < 0x4000)
                .forEach(v -> out.addAll(transcript(Vectors.bytes(v), Pipelines::feed)));
        return out;
    }

    @Test
    void everyRequestVectorDecodesAlone() {
        List<String> expected = decodedOneByOne();
        assertThat(expected).hasSize((int) Vectors.stream(V1.get("frames")).filter(v -> Vectors.opcode(v) < 0x4000)
                .count());
        assertThat(expected).noneMatch(e -> e.startsWith("ERROR") || e.startsWith("UNEXPECTED"));
    }

    @Test
    void severalWholeFramesInOneRead() {
        assertThat(transcript(ALL_REQUESTS, Pipelines::feed)).isEqualTo(decodedOneByOne());
    }

    @Test
    void oneByteAtATime() {
        assertThat(transcript(ALL_REQUESTS, Pipelines::feedByteByByte)).isEqualTo(decodedOneByOne());
    }

    @Test
    void splitInTwoAtEveryPosition() {
        List<String> expected = decodedOneByOne();
        for (int cut = 1; cut < ALL_REQUESTS.length; cut++) {
            int at = cut;
            assertThat(transcript(ALL_REQUESTS, (ch, alloc, bytes) -> Pipelines.feed(ch, alloc, bytes, at)))
                    .as("split at byte %d of %d", cut, ALL_REQUESTS.length)
                    .isEqualTo(expected);
        }
    }

    @Test
    void nonFatalErrorsDoNotDisturbTheFramesAround() {
        assertThat(transcript(WITH_ERRORS, Pipelines::feed)).isEqualTo(WITH_ERRORS_TRANSCRIPT);
        assertThat(transcript(WITH_ERRORS, Pipelines::feedByteByByte)).isEqualTo(WITH_ERRORS_TRANSCRIPT);
        for (int cut = 1; cut < WITH_ERRORS.length; cut++) {
            int at = cut;
            assertThat(transcript(WITH_ERRORS, (ch, alloc, bytes) -> Pipelines.feed(ch, alloc, bytes, at)))
                    .as("split at byte %d of %d", cut, WITH_ERRORS.length)
                    .isEqualTo(WITH_ERRORS_TRANSCRIPT);
        }
    }

    @Test
    void nothingAfterAFatalErrorIsDecoded() {
        byte[] bytes = Hex.concat(frame("echo"), frame("stats"), fatal("length-below-header"), frame("echo"),
                invalid("unknown-opcode"), frame("stats"));
        List<String> expected = List.of(
                "Echo[stream=11, content=48656c6c6f2c20776f726c64]",
                "Stats[streamId=17]",
                "ERROR MALFORMED_FRAME (1) stream=0 fatal=true");
        assertThat(transcript(bytes, Pipelines::feed)).isEqualTo(expected);
        assertThat(transcript(bytes, Pipelines::feedByteByByte)).isEqualTo(expected);
        for (int cut = 1; cut < bytes.length; cut++) {
            int at = cut;
            assertThat(transcript(bytes, (ch, alloc, b) -> Pipelines.feed(ch, alloc, b, at)))
                    .as("split at byte %d", cut).isEqualTo(expected);
        }
    }

    @Test
    void aFrameTooLargeIsReportedOnceAndTheRestDiscarded() {
        // The header announces 16 MiB + 1; the bytes after it would be its body, then more frames.
        byte[] bytes = Hex.concat(frame("double"), fatal("length-above-max"), new byte[100], frame("echo"));
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = Pipelines.requests(16 * 1024 * 1024, alloc, transcript);
        Pipelines.feedByteByByte(ch, alloc, bytes);
        assertThat(Pipelines.drainInbound(ch)).hasSize(1);
        assertThat(transcript.events()).containsExactly(
                "DoubleValue[streamId=15, value=7654321]",
                "ERROR FRAME_TOO_LARGE (2) stream=0 fatal=true");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void aPartialFrameAtCloseIsDroppedWithoutLeaking() {
        byte[] echo = frame("echo");
        byte[] bytes = Hex.concat(frame("stats"), java.util.Arrays.copyOf(echo, echo.length - 1));
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, null);
        Pipelines.feed(ch, alloc, bytes);
        assertThat(Pipelines.drainInbound(ch)).containsExactly("Stats[streamId=17]");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }
}
