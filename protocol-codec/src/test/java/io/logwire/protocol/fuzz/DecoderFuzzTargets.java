package io.logwire.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.support.Describe;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Transcript;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of the frame decoder with the request decoder (server side) and the
 * reply decoder (client side), through an {@link EmbeddedChannel} as on a connection. Under
 * plain {@code mvn test} this replays the committed seeds (the protocol vectors, in
 * {@code src/test/resources/io/logwire/protocol/fuzz/DecoderFuzzTargetsInputs/decoders/}); with
 * {@code JAZZER_FUZZ=1} it fuzzes (docs/security.md "Fuzzing").
 *
 * <p>Properties: the only exception is {@link ProtocolCodecException}; every buffer is
 * released; whatever is decoded re-encodes to a frame that decodes to the same message.
 */
class DecoderFuzzTargets {
    private static final int MAX_FRAME = 64 * 1024;

    @FuzzTest(maxDuration = "60s")
    void decoders(byte[] input) {
        for (boolean replySide : new boolean[] {false, true}) {
            List<String> whole = decode(input, replySide, -1);
            if (input.length > 1) {
                // The same bytes in two reads must give the same messages and errors.
                assertThat(decode(input, replySide, input.length / 2)).isEqualTo(whole);
            }
        }
    }

    /** Feeds {@code input} (cut once at {@code cut} if not -1); returns what came out, checked. */
    private static List<String> decode(byte[] input, boolean replySide, int cut) {
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = replySide ? Pipelines.replies(MAX_FRAME, alloc, transcript)
                : Pipelines.requests(MAX_FRAME, alloc, transcript);
        if (cut < 0) {
            Pipelines.feed(ch, alloc, input);
        } else {
            Pipelines.feed(ch, alloc, input, cut);
        }
        for (Object m; (m = ch.readInbound()) != null; ) {
            try {
                assertThat(m).isInstanceOf(Message.class);
                assertRoundTrip((Message) m, replySide);
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        for (Throwable t : transcript.exceptions()) {
            assertThat(t).isInstanceOf(ProtocolCodecException.class);
        }
        ch.finishAndReleaseAll();
        alloc.assertAllReleased();
        return new ArrayList<>(transcript.events());
    }

    /**
     * decode(encode(m)) describes the same message as m. One documented exception: an ERROR
     * reply with an empty message (the spec wants a non-empty one; the client accepts it
     * anyway) is encoded with the message {@code error}.
     */
    private static void assertRoundTrip(Message m, boolean replySide) {
        if (m instanceof Reply.Error e && e.message().isEmpty()) {
            return;
        }
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf frame = MessageCodec.encode(m, alloc);
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        frame.release();
        EmbeddedChannel ch = replySide ? Pipelines.replies(Integer.MAX_VALUE - 16, alloc, null)
                : Pipelines.requests(Integer.MAX_VALUE - 16, alloc, null);
        Pipelines.feed(ch, alloc, bytes);
        Object again = ch.readInbound();
        try {
            assertThat(again).as("re-decoded").isNotNull();
            assertThat(Describe.message(again)).isEqualTo(Describe.message(m));
        } finally {
            ReferenceCountUtil.release(again);
        }
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();
        alloc.assertAllReleased();
    }
}
