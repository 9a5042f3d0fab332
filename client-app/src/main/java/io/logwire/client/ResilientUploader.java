package io.logwire.client;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.BatchId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exactly-once uploads over an unreliable network (PROTOCOL.md 6.2): each batch gets a random
 * {@link BatchId} and is sent with UPLOAD_ONCE; when the connection drops, a request times out,
 * or the server answers OVERLOADED/SHUTTING_DOWN (honouring ERROR_RETRY's hint), the uploader
 * reconnects and sends the same batch with the same id again, up to {@code maxRetries} times
 * with exponential backoff. The server stores a batch id once, so every entry is stored exactly
 * once whatever happened to the acknowledgements.
 *
 * <p>Owns its connection (made lazily, remade after a failure). Thread-safe; at most
 * {@code maxInFlight} batches are unanswered at a time ({@link #upload} waits for room), so
 * memory stays bounded. Needs a version-2 server.
 *
 * <pre>{@code
 * try (ResilientUploader up = new ResilientUploader(config, 10)) {
 *     up.upload(entries).join();
 * }
 * }</pre>
 */
public final class ResilientUploader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResilientUploader.class);

    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);

    private final ClientConfig config;
    private final ClientResources resources;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Semaphore window;
    private final int maxInFlight;
    private final ScheduledExecutorService retries;
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final Object lock = new Object();
    private final java.util.Set<Batch> unanswered = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicReference<LogwireClient> current =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile boolean closed;
    private boolean connected;

    /** An uploader with the default backoff (100 ms doubling up to 10 s). */
    public ResilientUploader(ClientConfig config, int maxRetries) {
        this(config, maxRetries, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF);
    }

    /**
     * @param maxRetries     retries per batch after its first attempt (0 = none)
     * @param initialBackoff wait before the first retry; doubles up to {@code maxBackoff}
     */
    public ResilientUploader(ClientConfig config, int maxRetries, Duration initialBackoff, Duration maxBackoff) {
        this.config = Objects.requireNonNull(config, "config");
        if (maxRetries < 0) {
            throw new IllegalArgumentException("retries must be >= 0: " + maxRetries);
        }
        if (config.protocolVersion() < 2) {
            throw new IllegalArgumentException("exactly-once upload needs protocol version 2");
        }
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.maxInFlight = config.maxInFlight();
        this.window = new Semaphore(maxInFlight);
        this.resources = ClientResources.create();
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "logwire-upload-retry");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects now (rather than at the first upload), so that a wrong address or certificate
     * shows at once.
     *
     * @return the connection's HELLO answer
     */
    public HelloResult connect() {
        return client().serverHello();
    }

    /**
     * Uploads {@code entries} exactly once; waits while {@code maxInFlight} batches are unanswered.
     * The future fails with the last error once the retries are used up, or at once for an error
     * that retrying cannot cure (a bad entry, a TLS problem, a version-1 server).
     *
     * @throws IllegalArgumentException if an entry cannot be encoded
     */
    public CompletableFuture<UploadOnceResult> upload(List<LogEntry> entries) {
        int size = 0;
        for (LogEntry e : entries) {
            size += LogEntryCodec.encodedSize(e);
        }
        byte[] bytes = new byte[size];
        ByteBuf out = Unpooled.wrappedBuffer(bytes).writerIndex(0);
        for (LogEntry e : entries) {
            LogEntryCodec.encode(e, out);
        }
        return uploadEncoded(bytes, entries.size());
    }

    /** {@link #upload} of {@code count} entries already in wire encoding (the array is not copied; do not change it). */
    public CompletableFuture<UploadOnceResult> uploadEncoded(byte[] entries, int count) {
        try {
            window.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new LogwireException("interrupted while waiting for room to upload"));
        }
        Batch b = new Batch(BatchId.random(), entries, count);
        unanswered.add(b);
        b.result.whenComplete((r, e) -> {
            unanswered.remove(b);
            window.release();
        });
        attempt(b);
        return b.result;
    }

    /** Blocking {@link #upload}. */
    public UploadOnceResult uploadSync(List<LogEntry> entries) {
        try {
            return upload(entries).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LogwireException("interrupted while uploading");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof LogwireException le ? le : new LogwireException(String.valueOf(c.getMessage()), c);
        }
    }

    /** Waits until every batch handed over so far is answered (stored or failed). */
    public void awaitIdle() throws InterruptedException {
        window.acquire(maxInFlight);
        window.release(maxInFlight);
    }

    /** Attempts that were retries (for reports). */
    public long retries() {
        return retried.get();
    }

    /** Batches the server reported as already stored (a retry of a batch whose acknowledgement was lost). */
    public long duplicates() {
        return duplicates.get();
    }

    /** Connections made after the first. */
    public long reconnects() {
        return reconnects.get();
    }

    private void attempt(Batch b) {
        LogwireClient c;
        CompletableFuture<UploadOnceResult> f;
        try {
            c = client();
            f = c.uploadOnceEncoded(b.id, Unpooled.wrappedBuffer(b.bytes), b.count);
        } catch (RuntimeException e) {
            retryOrFail(b, null, e);
            return;
        }
        f.whenComplete((r, e) -> {
            if (e == null) {
                if (r.duplicate()) {
                    duplicates.incrementAndGet();
                }
                b.result.complete(r);
            } else {
                retryOrFail(b, c, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            }
        });
    }

    private void retryOrFail(Batch b, LogwireClient failed, Throwable e) {
        boolean again = Retry.isTransient(e) && b.attempts < maxRetries;
        if (!again) {
            b.result.completeExceptionally(e instanceof LogwireException ? e
                    : new LogwireException(String.valueOf(e.getMessage()), e));
            return;
        }
        b.attempts++;
        retried.incrementAndGet();
        Duration wait = Retry.delay(b.attempts, initialBackoff, maxBackoff, e);
        log.debug("batch {}: retry {} of {} in {} ms after {}", b.id, b.attempts, maxRetries, wait.toMillis(),
                e.toString());
        if (failed != null && !(e instanceof ServerErrorException)) {
            // A timeout or a lost connection: do not trust that connection any more.
            discard(failed);
        }
        try {
            retries.schedule(() -> attempt(b), wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException rejected) {
            b.result.completeExceptionally(new LogwireException("the uploader was closed", e));
        }
    }

    /**
     * The current connection, made (blocking) if there is none or it was lost. Never called on
     * an event loop; the event loops never take {@code lock} (see {@link #discard}).
     */
    private LogwireClient client() {
        LogwireClient c = current.get();
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (lock) {
            if (closed) {
                throw new LogwireException("the uploader is closed");
            }
            c = current.get();
            if (c != null && c.isOpen()) {
                return c;
            }
            if (c != null) {
                current.compareAndSet(c, null);
                c.close();
            }
            LogwireClient fresh = LogwireClient.connect(config, resources);
            if (fresh.protocolVersion() < 2) {
                fresh.close();
                throw new UnsupportedOperationException("the server " + config.address()
                        + " speaks protocol version 1, which has no exactly-once upload (use plain UPLOAD)");
            }
            if (connected) {
                reconnects.incrementAndGet();
            }
            connected = true;
            current.set(fresh);
            return fresh;
        }
    }

    /** Any thread, event loops included: forgets {@code c} and closes it on the retry thread. */
    private void discard(LogwireClient c) {
        if (current.compareAndSet(c, null)) {
            try {
                retries.execute(c::close); // closing waits for the channel: not on its own event loop
            } catch (java.util.concurrent.RejectedExecutionException e) {
                c.close();
            }
        }
    }

    /** Closes the connection; batches still unanswered fail. */
    @Override
    public void close() {
        LogwireClient c;
        synchronized (lock) {
            closed = true;
            c = current.getAndSet(null);
        }
        retries.shutdownNow();
        if (c != null) {
            c.close();
        }
        for (Batch b : unanswered) {
            b.result.completeExceptionally(new LogwireException("the uploader was closed before batch "
                    + b.id + " was acknowledged"));
        }
        resources.close();
    }

    private static final class Batch {
        final BatchId id;
        final byte[] bytes;
        final int count;
        final CompletableFuture<UploadOnceResult> result = new CompletableFuture<>();
        int attempts;

        Batch(BatchId id, byte[] bytes, int count) {
            this.id = id;
            this.bytes = bytes;
            this.count = count;
        }
    }
}
