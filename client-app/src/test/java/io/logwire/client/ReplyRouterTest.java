package io.logwire.client;

import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reply router on an {@link EmbeddedChannel}: replies in any order, late replies and
 * wrap-around, all deterministic (a real server answers these requests in order).
 */
class ReplyRouterTest {
    private final Semaphore window = new Semaphore(100);
    private EmbeddedChannel channel;
    private ReplyRouter router;

    /** A request whose future completes with the final reply it receives. */
    static final class Probe extends PendingRequest {
        final CompletableFuture<Reply> future = new CompletableFuture<>();
        final List<Reply> frames = new ArrayList<>();
        final int value;

        Probe(int value, Duration timeout) {
            super("DOUBLE", timeout);
            this.value = value;
        }

        @Override
        Request build(int streamId) {
            return new Request.DoubleValue(streamId, value);
        }

        @Override
        boolean onReply(Reply reply) {
            frames.add(reply);
            if (reply.isFinal()) {
                future.complete(reply);
            }
            return true;
        }

        @Override
        void fail(LogwireException e) {
            future.completeExceptionally(e);
        }
    }

    private void open(int firstId) {
        ClientConfig config = ClientConfig.builder().plaintext(true).build();
        router = new ReplyRouter(config, window, new StreamIds(firstId));
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(router);
    }

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private Probe send(int value, Duration timeout) {
        Probe p = new Probe(value, timeout);
        window.acquireUninterruptibly();
        p.holdsPermit = true;
        router.start(p);
        channel.runPendingTasks();
        return p;
    }

    private int sentStreamId() {
        Request r = channel.readOutbound();
        return r.streamId();
    }

    @Test
    void repliesInReverseOrderReachTheirOwnRequests() {
        open(1);
        List<Probe> probes = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            probes.add(send(i, Duration.ZERO));
            ids.add(sentStreamId());
        }
        assertThat(ids).doesNotHaveDuplicates().doesNotContain(0);
        List<Integer> order = new ArrayList<>(ids);
        Collections.reverse(order);
        for (int id : order) {
            int value = probes.get(ids.indexOf(id)).value;
            channel.writeInbound(new Reply.DoubleOk(id, value * 2));
        }
        for (Probe p : probes) {
            assertThat(p.future.join()).isEqualTo(new Reply.DoubleOk(p.streamId, p.value * 2));
        }
        assertThat(router.reservedIds()).isEmpty();
        assertThat(window.availablePermits()).isEqualTo(100);
    }

    @Test
    void partialFramesOfInterleavedStreamsAreSortedByStream() {
        open(1);
        Probe a = send(1, Duration.ZERO);
        int idA = sentStreamId();
        Probe b = send(2, Duration.ZERO);
        int idB = sentStreamId();
        channel.writeInbound(new Reply.Rows(Opcode.QUERY, idB, 0, Unpooled.EMPTY_BUFFER));
        channel.writeInbound(new Reply.Rows(Opcode.QUERY, idA, 0, Unpooled.EMPTY_BUFFER));
        channel.writeInbound(new Reply.Rows(Opcode.QUERY, idB, 0, Unpooled.EMPTY_BUFFER));
        channel.writeInbound(new Reply.ScanDone(Opcode.QUERY, idA, 0));
        channel.writeInbound(new Reply.ScanDone(Opcode.QUERY, idB, 0));
        assertThat(a.frames).hasSize(2).allMatch(r -> r.streamId() == idA);
        assertThat(b.frames).hasSize(3).allMatch(r -> r.streamId() == idB);
    }

    @Test
    void aTimedOutRequestKeepsItsIdUntilTheLateReplyWhichIsDropped() {
        open(1);
        Probe slow = send(7, Duration.ofSeconds(1));
        int slowId = sentStreamId();
        Probe other = send(8, Duration.ofSeconds(60));
        int otherId = sentStreamId();

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(slow.future).isCompletedExceptionally();
        assertThat(other.future).isNotDone();
        assertThat(router.reservedIds()).containsExactlyInAnyOrder(slowId, otherId);
        assertThat(window.availablePermits()).isEqualTo(99); // the timed-out request gave its permit back

        channel.writeInbound(new Reply.DoubleOk(slowId, 14)); // late
        assertThat(slow.frames).isEmpty();
        assertThat(other.future).isNotDone();
        assertThat(router.reservedIds()).containsExactly(otherId);

        channel.writeInbound(new Reply.DoubleOk(otherId, 16));
        assertThat(other.future.join()).isEqualTo(new Reply.DoubleOk(otherId, 16));
    }

    @Test
    void afterWrappingAroundIdsSkipZeroAndEveryIdStillReserved() {
        open(0xFFFF_FFFE);
        Probe timedOut = send(1, Duration.ofMillis(10));
        assertThat(Integer.toUnsignedLong(sentStreamId())).isEqualTo(0xFFFF_FFFEL);
        channel.advanceTimeBy(1, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(timedOut.future).isCompletedExceptionally();

        Probe a = send(2, Duration.ZERO);
        assertThat(Integer.toUnsignedLong(sentStreamId())).isEqualTo(0xFFFF_FFFFL);
        Probe b = send(3, Duration.ZERO);
        assertThat(sentStreamId()).isEqualTo(1); // 0 is skipped
        channel.writeInbound(new Reply.DoubleOk(0xFFFF_FFFE, 999)); // the late reply goes nowhere
        channel.writeInbound(new Reply.DoubleOk(1, 6));
        channel.writeInbound(new Reply.DoubleOk(0xFFFF_FFFF, 4));
        assertThat(a.future.join()).isEqualTo(new Reply.DoubleOk(0xFFFF_FFFF, 4));
        assertThat(b.future.join()).isEqualTo(new Reply.DoubleOk(1, 6));
    }

    @Test
    void anUnknownStreamAndAStreamZeroErrorAreDroppedAndRecorded() {
        open(1);
        Probe p = send(5, Duration.ZERO);
        int id = sentStreamId();
        channel.writeInbound(new Reply.DoubleOk(id + 1000, 1));
        channel.writeInbound(new Reply.Error(0, io.logwire.protocol.message.ErrorCode.OVERLOADED, "too many"));
        assertThat(p.future).isNotDone();
        channel.close();
        assertThat(p.future).isCompletedExceptionally();
        assertThat(p.future.handle((r, t) -> t.getMessage()).join())
                .contains("OVERLOADED: too many");
    }

    @Test
    void closingFailsEverythingOutstandingAndReturnsThePermits() {
        open(1);
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            probes.add(send(i, Duration.ZERO));
        }
        channel.close();
        assertThat(probes).allSatisfy(p -> assertThat(p.future).isCompletedExceptionally());
        assertThat(window.availablePermits()).isEqualTo(100);
        Probe late = new Probe(1, Duration.ZERO);
        router.submitFromLoop(late);
        assertThat(late.future).isCompletedExceptionally();
    }

    @Test
    void echoPayloadsAreNotConfused() {
        // Guards against a regression where replies were matched by order instead of id.
        open(10);
        Probe first = send(1, Duration.ZERO);
        int id1 = sentStreamId();
        Probe second = send(2, Duration.ZERO);
        int id2 = sentStreamId();
        channel.writeInbound(new Reply.EchoOk(id2, Unpooled.copiedBuffer("two", StandardCharsets.UTF_8)));
        channel.writeInbound(new Reply.EchoOk(id1, Unpooled.copiedBuffer("one", StandardCharsets.UTF_8)));
        assertThat(((Reply.EchoOk) first.future.join()).data().toString(StandardCharsets.UTF_8)).isEqualTo("one");
        assertThat(((Reply.EchoOk) second.future.join()).data().toString(StandardCharsets.UTF_8)).isEqualTo("two");
        ((Reply.EchoOk) first.future.join()).release();
        ((Reply.EchoOk) second.future.join()).release();
    }
}
