package io.logwire.client;

import io.logwire.protocol.entry.SeqEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A live tail that survives disconnects, server restarts and OVERLOADED ends (PROTOCOL.md 6.4):
 * it owns its connection, and whenever the TAIL ends other than by {@link #close()}, it
 * reconnects with exponential backoff (honouring ERROR_RETRY hints) and asks for
 * {@code fromSequence} = the last sequence delivered + 1. The server delivers in sequence order
 * with no gap and no repeat, so the subscriber sees every matching entry exactly once, in order.
 *
 * <p>{@link #run(Consumer)} delivers on the calling thread until {@link #close()} (from another
 * thread) or an error that reconnecting cannot cure (a bad filter, a TLS problem, a version-1
 * server), which it throws. A slow subscriber is fine: the client stops reading, the server's
 * per-tail budget ends the tail with OVERLOADED, and the follower resumes without loss.
 */
public final class TailFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TailFollower.class);

    /** Listener for reconnects (for messages to people). */
    public interface Listener {
        /** The tail ended with {@code cause}; the next attempt follows in {@code wait}. */
        void reconnecting(Throwable cause, Duration wait, long fromSequence);

        /** A tail request is running again (after a connect). */
        default void connected(HelloResult hello, long fromSequence) {
        }
    }

    private final ClientConfig config;
    private final String filter;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Listener listener;
    private final ClientResources resources = ClientResources.create();
    private final Object lock = new Object();
    private volatile long fromSequence;
    private volatile boolean closed;
    private LogwireClient client;
    private RowStream rows;
    private long delivered;
    private long reconnects;
    private boolean started;

    /**
     * @param fromSequence first sequence wanted, or {@link LogwireClient#TAIL_FROM_NOW}
     */
    public TailFollower(ClientConfig config, String filter, long fromSequence, Duration initialBackoff,
                        Duration maxBackoff, Listener listener) {
        this.config = Objects.requireNonNull(config, "config");
        this.filter = Objects.requireNonNull(filter, "filter");
        this.fromSequence = fromSequence;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.listener = listener != null ? listener : (c, w, f) -> { };
    }

    /**
     * Delivers every matching entry to {@code subscriber}, in sequence order, until closed.
     *
     * @throws LogwireException for an error reconnecting cannot cure
     */
    public void run(Consumer<SeqEntry> subscriber) {
        run(subscriber, () -> { });
    }

    /**
     * As {@link #run(Consumer)}, and calls {@code beforeWaiting} whenever it is about to wait:
     * for rows not yet arrived, or to reconnect. A subscriber that writes rows out flushes
     * there, once per burst of rows instead of once per row.
     */
    public void run(Consumer<SeqEntry> subscriber, Runnable beforeWaiting) {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("a TailFollower runs once");
            }
            started = true;
        }
        try {
            follow(subscriber, beforeWaiting);
        } finally {
            closeConnection();
            resources.close();
        }
    }

    private void follow(Consumer<SeqEntry> subscriber, Runnable beforeWaiting) {
        int failures = 0;
        while (!closed) {
            RowStream r = null;
            try {
                LogwireClient c = LogwireClient.connect(config, resources);
                if (c.protocolVersion() < 2) {
                    c.close();
                    throw new UnsupportedOperationException("the server " + config.address()
                            + " speaks protocol version 1, which has no TAIL");
                }
                synchronized (lock) {
                    if (closed) {
                        c.close();
                        return;
                    }
                    client = c;
                    r = c.tail(filter, fromSequence);
                    rows = r;
                }
                listener.connected(c.serverHello(), fromSequence);
                while (r.hasNext()) {
                    SeqEntry row = r.nextRow();
                    failures = 0;
                    fromSequence = row.sequence() + 1;
                    delivered++;
                    subscriber.accept(row);
                    if (!r.rowReady()) {
                        beforeWaiting.run();
                    }
                }
                if (closed) {
                    return;
                }
                // TAIL_DONE without our CANCEL (a server shutting the tail down): continue from where it said.
                r.nextSequence().ifPresent(n -> fromSequence = Math.max(fromSequence, n));
                throw new ConnectionException(ConnectionException.Reason.CLOSED, "the server ended the tail");
            } catch (LogwireException e) {
                if (closed) {
                    return;
                }
                if (!Retry.isTransient(e)) {
                    throw e;
                }
                failures++;
                reconnects++;
                Duration wait = Retry.delay(failures, initialBackoff, maxBackoff, e);
                listener.reconnecting(e, wait, fromSequence);
                log.debug("tail ended ({}); resuming from {} in {} ms", e.toString(), fromSequence, wait.toMillis());
                closeConnection();
                beforeWaiting.run();
                sleep(wait);
            } finally {
                if (closed || r == null) {
                    closeConnection();
                }
            }
        }
    }

    /** The sequence the next (re)subscription asks for: the last delivered + 1. */
    public long fromSequence() {
        return fromSequence;
    }

    /** Entries delivered so far. */
    public long delivered() {
        return delivered;
    }

    /** Times the tail was resumed after an end other than close. */
    public long reconnects() {
        return reconnects;
    }

    private void sleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (!closed) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            synchronized (lock) {
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closed = true;
                    return;
                }
            }
        }
    }

    private void closeConnection() {
        LogwireClient c;
        synchronized (lock) {
            c = client;
            client = null;
            rows = null;
        }
        if (c != null) {
            c.close();
        }
    }

    /** Stops the tail (cancelling it on the server) and makes {@link #run} return. Any thread. */
    @Override
    public void close() {
        RowStream r;
        LogwireClient c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            r = rows;
            c = client;
            lock.notifyAll();
        }
        if (r != null) {
            r.close(); // CANCEL, and wakes run()
        }
        if (c != null && r == null) {
            c.close();
        }
        synchronized (lock) {
            if (!started) {
                started = true; // run() will not start any more
                resources.close();
            }
        }
    }
}
