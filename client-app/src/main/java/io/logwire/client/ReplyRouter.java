package io.logwire.client;

import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Matches replies to requests by stream id (PROTOCOL.md section 2), and is the pipeline's last
 * handler, so it also decides what errors mean. One instance per channel; all state is
 * confined to the channel's event loop.
 *
 * <p>A request keeps its stream id from the moment it is sent until its final frame arrives
 * or the connection closes. A request that times out or is abandoned fails at once, but its
 * id stays reserved by an {@link PendingRequest.Abandoned} placeholder that drops the late
 * frames, so they can never reach a newer request.
 */
final class ReplyRouter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ReplyRouter.class);

    private final ClientConfig config;
    private final Semaphore window;
    private final StreamIds ids;
    private final IntObjectMap<PendingRequest> outstanding = new IntObjectHashMap<>();
    /** Requests submitted from the event loop itself while the window was full (it cannot block). */
    private final ArrayDeque<PendingRequest> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private int pausedStreams;
    private int waitingConsumers;
    private boolean inactive;
    private Throwable failure;
    private Reply.Error connectionError;
    private volatile LogwireException closedCause;
    private volatile boolean closedByClient;

    ReplyRouter(ClientConfig config, Semaphore window, StreamIds ids) {
        this.config = config;
        this.window = window;
        this.ids = ids;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    // ---------------------------------------------------------------- sending

    /** Sends a request that already holds a window permit. */
    void start(PendingRequest p) {
        if (inactive) {
            p.discard();
            p.fail(closedException());
            releasePermit(p);
            return;
        }
        int id = ids.next(outstanding::containsKey);
        p.streamId = id;
        Request request;
        try {
            request = p.build(id);
        } catch (RuntimeException e) {
            p.discard();
            p.fail(new LogwireException(p.name + " could not be encoded: " + e.getMessage(), e));
            releasePermit(p);
            return;
        }
        outstanding.put(id, p);
        ctx.writeAndFlush(request).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() && outstanding.get(id) == p) {
                outstanding.remove(id);
                cancelTimeout(p);
                Throwable cause = f.cause();
                LogwireException e = cause instanceof IllegalArgumentException
                        ? new LogwireException(p.name + " could not be encoded: " + cause.getMessage(), cause)
                        : closedException();
                p.fail(e);
                releasePermit(p);
            }
        });
        if (p.timesOutAsAWhole() && !p.timeout.isZero()) {
            p.timeoutTask = ctx.executor().schedule(() -> timeOut(p), p.timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Sends a request submitted on the event loop: at once if the window has room, else when it has. */
    void submitFromLoop(PendingRequest p) {
        if (!inactive && waiting.isEmpty() && window.tryAcquire()) {
            p.holdsPermit = true;
            start(p);
        } else if (inactive) {
            p.discard();
            p.fail(closedException());
        } else {
            waiting.add(p);
        }
    }

    private void releasePermit(PendingRequest p) {
        if (!p.holdsPermit) {
            return;
        }
        p.holdsPermit = false;
        PendingRequest next = inactive ? null : waiting.poll();
        if (next != null) {
            next.holdsPermit = true;
            start(next);
        } else {
            window.release();
        }
    }

    private void timeOut(PendingRequest p) {
        if (outstanding.get(p.streamId) != p) {
            return;
        }
        abandon(p, new RequestTimeoutException(p.name + " (stream " + Integer.toUnsignedLong(p.streamId) + ")",
                p.timeout));
    }

    /**
     * Gives up on {@code p} (a timeout, a consumer that stopped listening): fails it with
     * {@code e} (if not null) and keeps its id reserved until its final frame arrives.
     */
    void abandon(PendingRequest p, LogwireException e) {
        if (outstanding.get(p.streamId) != p) {
            return;
        }
        outstanding.put(p.streamId, new PendingRequest.Abandoned(p.name));
        cancelTimeout(p);
        if (e != null) {
            p.fail(e);
        }
        releasePermit(p);
    }

    private static void cancelTimeout(PendingRequest p) {
        if (p.timeoutTask != null) {
            p.timeoutTask.cancel(false);
            p.timeoutTask = null;
        }
    }

    // ---------------------------------------------------------------- receiving

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Reply reply)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        int id = reply.streamId();
        if (id == FrameConstants.CONNECTION_STREAM) {
            if (reply instanceof Reply.Error e) {
                connectionError = e;
                log.warn("server reported a connection error: {} {}", e.errorCode(), e.message());
            } else {
                log.debug("dropping {} on stream 0", reply);
            }
            ReferenceCountUtil.release(reply);
            return;
        }
        PendingRequest p = outstanding.get(id);
        if (p == null) {
            log.debug("dropping a reply for stream {}, which has no request", Integer.toUnsignedLong(id));
            ReferenceCountUtil.release(reply);
            return;
        }
        boolean last = reply.isFinal();
        if (last) {
            outstanding.remove(id);
            cancelTimeout(p);
        }
        if (p instanceof PendingRequest.Abandoned) {
            ReferenceCountUtil.release(reply);
            return;
        }
        boolean accepted = p.onReply(reply);
        if (!accepted) {
            LogwireException e = new ConnectionException(ConnectionException.Reason.PROTOCOL_ERROR,
                    String.format("the server answered %s with an unexpected frame 0x%04x", p.name, reply.wireOpcode()));
            if (last) {
                p.fail(e);
                releasePermit(p);
            } else {
                abandon(p, e);
            }
            return;
        }
        if (last) {
            releasePermit(p);
        }
    }

    // ---------------------------------------------------------------- flow control for streams

    /** A stream has more rows buffered than it wants: stop reading the connection. */
    void pause() {
        pausedStreams++;
        updateAutoRead();
    }

    /** A stream has drained below its low-water mark (or ended). */
    void resume() {
        pausedStreams--;
        updateAutoRead();
    }

    /**
     * A consumer waits for rows that are not there yet (+1) or got some (-1). While one waits,
     * the connection is read even if another stream is over its high-water mark: otherwise a
     * program consuming two results in turn on one connection would deadlock.
     */
    void consumerWaiting(int delta) {
        waitingConsumers += delta;
        updateAutoRead();
    }

    private void updateAutoRead() {
        boolean read = pausedStreams == 0 || waitingConsumers > 0;
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    // ---------------------------------------------------------------- errors and close

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
            recordFailure(e.cause());
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ProtocolCodecException e && !e.isFatal()
                && e.streamId() != FrameConstants.CONNECTION_STREAM) {
            // A reply we cannot decode (a server bug): only its request fails.
            PendingRequest p = outstanding.get(e.streamId());
            if (p != null && !(p instanceof PendingRequest.Abandoned)) {
                abandon(p, new ConnectionException(ConnectionException.Reason.PROTOCOL_ERROR,
                        "malformed reply to " + p.name + ": " + e.getMessage()));
            }
            return;
        }
        recordFailure(cause);
        ctx.close();
    }

    void recordFailure(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        LogwireException e = closedException();
        List<PendingRequest> all = new ArrayList<>(outstanding.values());
        outstanding.clear();
        all.addAll(waiting);
        waiting.clear();
        for (PendingRequest p : all) {
            cancelTimeout(p);
            if (!(p instanceof PendingRequest.Abandoned)) {
                p.discard();
                p.fail(e);
            }
            if (p.holdsPermit) {
                p.holdsPermit = false;
                window.release();
            }
        }
        ctx.fireChannelInactive();
    }

    /** The client is closing the connection on purpose. */
    void closingByClient() {
        closedByClient = true;
    }

    /** The exception that requests get once the connection is gone. */
    LogwireException closedException() {
        LogwireException e = closedCause;
        if (e != null) {
            return e;
        }
        e = failure == null && connectionError == null && closedByClient
                ? new ConnectionException(ConnectionException.Reason.CLOSED, "the client closed the connection to "
                        + config.address())
                : ConnectionFailures.describe(failure, connectionError, config);
        if (inactive) {
            closedCause = e;
        }
        return e;
    }

    /** Ids reserved right now (outstanding or abandoned), for tests and diagnostics. Event loop only. */
    int[] reservedIds() {
        return outstanding.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Requests waiting in this router for window room. Event loop only. */
    int waitingCount() {
        return waiting.size();
    }
}
