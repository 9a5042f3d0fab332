package io.logwire.client;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;

/**
 * A request on its way: built once its stream id is known, then fed every reply frame on its
 * stream until the final one. Every method runs on the connection's event loop, except where
 * noted.
 */
abstract class PendingRequest {
    /** For messages: "ECHO", "QUERY", ... */
    final String name;
    /** Time allowed for the final reply; zero = none. Streams apply it between frames instead. */
    final Duration timeout;
    int streamId;
    /** Whether this request holds one permit of the in-flight window. */
    boolean holdsPermit;
    ScheduledFuture<?> timeoutTask;

    PendingRequest(String name, Duration timeout) {
        this.name = name;
        this.timeout = timeout;
    }

    /** Creates the request for {@code streamId}; ownership of any payload passes to it. */
    abstract Request build(int streamId);

    /**
     * A reply frame on this request's stream; the request owns it (and releases it).
     *
     * @return false if the frame is not one this request can take (a protocol violation)
     */
    abstract boolean onReply(Reply reply);

    /** The request failed: it gets no further frames. May be called on any thread. */
    abstract void fail(LogwireException e);

    /** Releases a payload that was never built into a request (the request failed before it was sent). */
    void discard() {
    }

    /** Whether the router should time this request out as a whole ({@link #timeout} after sending). */
    boolean timesOutAsAWhole() {
        return true;
    }

    /** A placeholder that keeps a stream id reserved after its request gave up; it drops every frame. */
    static final class Abandoned extends PendingRequest {
        Abandoned(String name) {
            super(name, Duration.ZERO);
        }

        @Override
        Request build(int streamId) {
            throw new IllegalStateException("abandoned requests are not sent");
        }

        @Override
        boolean onReply(Reply reply) {
            io.netty.util.ReferenceCountUtil.release(reply);
            return true;
        }

        @Override
        void fail(LogwireException e) {
        }
    }
}
