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

/** The client's inbound pipeline, {@code FrameDecoder} + {@code ReplyDecoder}, under any cutting of the stream. */
class ReplyPipelineTest {
    private static final JsonNode V1 = Vectors.v1();
    private static final int MAX = 64 * 1024;

    private static List<JsonNode> replyVectors() {
        return Vectors.stream(V1.get("frames")).filter(v -> Vectors.opcode(v) >= 0x4000).toList();
    }

    private static final byte[] ALL_REPLIES =
            Hex.concat(replyVectors().stream().map(Vectors::bytes).toArray(byte[][]::new));

    private interface Feeding {
        void feed(EmbeddedChannel ch, TrackingAllocator alloc, byte[] bytes);
    }

    private static List<String> transcript(byte[] bytes, Feeding feeding) {
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = Pipelines.replies(MAX, alloc, transcript);
        feeding.feed(ch, alloc, bytes);
        assertThat(Pipelines.drainInbound(ch)).hasSameSizeAs(transcript.events().stream()
                .filter(e -> !e.startsWith("ERROR") && !e.startsWith("UNEXPECTED")).toList());
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
        return transcript.events();
    }

    private static List<String> decodedOneByOne() {
        List<String> out = new ArrayList<>();
        for (JsonNode v : replyVectors()) {
            out.addAll(transcript(Vectors.bytes(v), Pipelines::feed));
        }
        assertThat(out).hasSize(replyVectors().size()).noneMatch(e -> e.startsWith("ERROR") || e.startsWith("UNEXPECTED"));
        return out;
    }

    @Test
    void wholeByteByByteAndSplitAtEveryPositionGiveTheSameReplies() {
        List<String> expected = decodedOneByOne();
        assertThat(transcript(ALL_REPLIES, Pipelines::feed)).isEqualTo(expected);
        assertThat(transcript(ALL_REPLIES, Pipelines::feedByteByByte)).isEqualTo(expected);
        for (int cut = 1; cut < ALL_REPLIES.length; cut++) {
            int at = cut;
            assertThat(transcript(ALL_REPLIES, (ch, alloc, b) -> Pipelines.feed(ch, alloc, b, at)))
                    .as("split at byte %d of %d", cut, ALL_REPLIES.length).isEqualTo(expected);
        }
    }

    @Test
    void aMalformedReplyBetweenGoodOnesAffectsOnlyItself() {
        byte[] doubleOk = Vectors.bytes(Vectors.named(V1.get("frames"), "double-ok"));
        byte[] bytes = Hex.concat(
                doubleOk,
                // length 9, opcode 0x8005 DOUBLE_OK, stream 15, a 3-byte body (the i32 needs 4)
                Hex.bytes("00000009" + "8005" + "0000000f" + "000001"),
                // length 6, opcode 0x4001: UPLOAD has no partial reply
                Hex.bytes("00000006" + "4001" + "00000003"),
                doubleOk);
        List<String> expected = List.of(
                "DoubleOk[streamId=15, value=15308642]",
                "ERROR MALFORMED_FRAME (1) stream=15 fatal=true",
                "ERROR MALFORMED_FRAME (1) stream=3 fatal=true",
                "DoubleOk[streamId=15, value=15308642]");
        assertThat(transcript(bytes, Pipelines::feed)).isEqualTo(expected);
        assertThat(transcript(bytes, Pipelines::feedByteByByte)).isEqualTo(expected);
    }
}
