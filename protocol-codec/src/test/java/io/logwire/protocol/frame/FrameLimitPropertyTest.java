package io.logwire.protocol.frame;

import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Transcript;
import io.netty.channel.embedded.EmbeddedChannel;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Section 2's limits are enforced from the length field alone, before any body byte is
 * sent: a peer cannot make the decoder wait for (or buffer) more than the frame limit.
 */
class FrameLimitPropertyTest {
    private static final int MAX = 1024;

    /** Sends the 4 length bytes one by one and returns the events after each. */
    private static List<List<String>> sendLengthField(EmbeddedChannel ch, TrackingAllocator alloc,
                                                      Transcript transcript, long length) {
        byte[] field = Hex.bytes(String.format("%08x", length));
        List<List<String>> after = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ch.writeInbound(alloc.copyOf(field, i, i + 1));
            after.add(List.copyOf(transcript.events()));
        }
        return after;
    }

    @Property(tries = 500)
    void aLengthAboveTheLimitIsRefusedOnItsFourthByte(@ForAll @LongRange(min = MAX + 1, max = 0xFFFF_FFFFL) long length,
                                                      @ForAll boolean replySide) {
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = replySide ? Pipelines.replies(MAX, alloc, transcript)
                : Pipelines.requests(MAX, alloc, transcript);
        List<List<String>> events = sendLengthField(ch, alloc, transcript, length);
        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e).isEmpty());
        assertThat(events.get(3)).containsExactly("ERROR FRAME_TOO_LARGE (2) stream=0 fatal=true");
        // What follows (the announced body, more frames) is discarded without another error.
        ch.writeInbound(alloc.copyOf(new byte[MAX + 100]));
        ch.writeInbound(alloc.copyOf(Hex.bytes("00000006" + "0007" + "00000001")));
        assertThat(transcript.events()).hasSize(1);
        assertThat(ch.<Object>readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Property(tries = 50)
    void aLengthBelowTheHeaderIsRefusedOnItsFourthByte(@ForAll @IntRange(max = 5) int length) {
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, transcript);
        List<List<String>> events = sendLengthField(ch, alloc, transcript, length);
        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e).isEmpty());
        assertThat(events.get(3)).containsExactly("ERROR MALFORMED_FRAME (1) stream=0 fatal=true");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Property(tries = 300)
    void aLengthWithinTheLimitWaitsForItsWholeBody(@ForAll @IntRange(min = 6, max = MAX) int length,
                                                   @ForAll long seed) {
        Random r = new Random(seed);
        byte[] body = new byte[length - 6];
        r.nextBytes(body);
        byte[] frame = Hex.concat(Hex.bytes(String.format("%08x", length) + "0003" + "00000009"), body);
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, transcript);
        // Everything but the last byte, in random pieces: nothing comes out yet.
        int sent = 0;
        while (sent < frame.length - 1) {
            int n = 1 + r.nextInt(frame.length - 1 - sent);
            ch.writeInbound(alloc.copyOf(frame, sent, sent + n));
            sent += n;
        }
        assertThat(transcript.events()).isEmpty();
        ch.writeInbound(alloc.copyOf(frame, sent, frame.length));
        assertThat(Pipelines.drainInbound(ch)).containsExactly(
                "Echo[stream=9, content=" + Hex.of(body) + "]");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    /** The frame decoder never allocates on the strength of an announced length. */
    @Property(tries = 200)
    void noBufferLargerThanTheBytesReceivedIsAllocated(@ForAll @LongRange(min = 6, max = 0xFFFF_FFFFL) long length) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(MAX, alloc, new Transcript());
        byte[] header = Hex.bytes(String.format("%08x", length) + "0003" + "00000001");
        for (int i = 0; i < header.length; i++) {
            ch.writeInbound(alloc.copyOf(header, i, i + 1));
        }
        // The cumulation grows with what arrived (10 bytes), rounded up by the allocator's
        // growth policy (64 bytes minimum), not towards the announced length.
        assertThat(alloc.unreleased()).allSatisfy(b -> assertThat(b.capacity()).isLessThanOrEqualTo(64));
        ch.finishAndReleaseAll();
        alloc.assertAllReleased();
    }
}
