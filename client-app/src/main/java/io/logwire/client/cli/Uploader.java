package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.LogwireException;
import io.logwire.client.UploadResult;
import io.logwire.client.io.AccessTimeSorter;
import io.logwire.client.io.EntryFormat;
import io.logwire.client.io.EntryReader;
import io.logwire.client.io.InputFormatException;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.zip.GZIPInputStream;

/**
 * Streams entry files to the server: reads in constant memory, cuts batches by count and by
 * the server's frame limit, and pipelines them (the client's in-flight window bounds how many
 * are unanswered). A bad line aborts the upload before its batch is sent (or is skipped and
 * counted with {@code skipInvalid}). Used by {@code upload} and the shell.
 */
final class Uploader {
    /** Bad lines reported one by one with {@code --skip-invalid}; the rest are only counted. */
    static final int MAX_REPORTED_SKIPS = 10;

    /** What an upload did. */
    record Summary(long entries, long batches, long skipped, long firstSequence, long lastSequence, double seconds) {
        String line() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("uploaded %d %s in %d %s in %.2f s (%,.0f entries/s)", entries,
                    entries == 1 ? "entry" : "entries", batches, batches == 1 ? "batch" : "batches", seconds,
                    seconds > 0 ? entries / seconds : 0.0));
            sb.append(entries > 0 ? ", sequences " + firstSequence + ".." + lastSequence : ", nothing stored");
            if (skipped > 0) {
                sb.append(String.format("; skipped %d invalid %s", skipped, skipped == 1 ? "line" : "lines"));
            }
            return sb.toString();
        }
    }

    /** The upload stopped at a bad line; what was stored before it is in {@code partial}. */
    static final class Aborted extends Exception {
        final InputFormatException cause;
        final Summary partial;

        Aborted(InputFormatException cause, Summary partial) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
            this.partial = partial;
        }
    }

    private final java.util.function.Function<List<LogEntry>, CompletableFuture<UploadResult>> sink;
    private final int batchSize;
    private final boolean skipInvalid;
    private final EntryFormat format;
    private final boolean sortByTime;
    private final PrintWriter err;
    private final InputStream stdin;
    private final long maxBatchBytes;

    private final ArrayDeque<CompletableFuture<UploadResult>> inFlight = new ArrayDeque<>();
    private final Object lock = new Object();
    private List<LogEntry> batch = new ArrayList<>();
    private long batchBytes;
    private long sentEntries;
    private long batches;
    private long skipped;
    private long storedEntries; // guarded by lock
    private long firstSequence = Long.MAX_VALUE; // guarded by lock
    private long lastSequence = -1; // guarded by lock
    private Throwable failure; // guarded by lock
    private long start;

    Uploader(LogwireClient client, int batchSize, boolean skipInvalid, EntryFormat format, boolean sortByTime,
             PrintWriter err, InputStream stdin) {
        this(client::upload, client.maxUploadBytes(), batchSize, skipInvalid, format, sortByTime, err, stdin);
    }

    /**
     * An uploader sending each batch with {@code sink} (plain UPLOAD on one connection, or
     * exactly-once UPLOAD_ONCE through a {@link io.logwire.client.ResilientUploader}).
     */
    Uploader(java.util.function.Function<List<LogEntry>, CompletableFuture<UploadResult>> sink, long maxBatchBytes,
             int batchSize, boolean skipInvalid, EntryFormat format, boolean sortByTime, PrintWriter err,
             InputStream stdin) {
        this.sink = sink;
        this.batchSize = batchSize;
        this.skipInvalid = skipInvalid;
        this.format = format;
        this.sortByTime = sortByTime;
        this.err = err;
        this.stdin = stdin;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** Total size of the named files, or -1 if unknown (standard input, or compressed so sizes do not compare). */
    static long totalBytes(List<String> files) {
        long total = 0;
        for (String f : files) {
            if (f.equals("-") || f.toLowerCase(java.util.Locale.ROOT).endsWith(".gz")) {
                return -1;
            }
            try {
                total += Files.size(Path.of(f));
            } catch (IOException e) {
                return -1;
            }
        }
        return total;
    }

    /**
     * Uploads the files in order.
     *
     * @throws Aborted          at a bad line (nothing of that line's batch was sent)
     * @throws IOException      if a file cannot be read
     * @throws LogwireException if the server refuses a batch or the connection fails
     */
    Summary run(List<String> files, Progress progress) throws IOException, Aborted {
        start = System.nanoTime();
        long doneBytes = 0;
        try (AccessTimeSorter sorter = sortByTime
                ? new AccessTimeSorter(AccessTimeSorter.DEFAULT_RUN_SIZE, Path.of(System.getProperty("java.io.tmpdir")))
                : null) {
            for (String name : files) {
                try (InputStream raw = open(name); EntryReader reader = readerFor(name, raw)) {
                    while (true) {
                        LogEntry e;
                        try {
                            e = reader.next();
                        } catch (InputFormatException bad) {
                            if (skipInvalid && !bad.isFatal()) {
                                if (++skipped <= MAX_REPORTED_SKIPS) {
                                    err.println(bad.getMessage() + " (skipped)");
                                } else if (skipped == MAX_REPORTED_SKIPS + 1) {
                                    err.println("(further invalid lines are skipped without a report)");
                                }
                                continue;
                            }
                            // Nothing of the current batch has been sent: drop it.
                            batch = new ArrayList<>();
                            batchBytes = 0;
                            throw new Aborted(bad, finish());
                        }
                        if (e == null) {
                            break;
                        }
                        if (sorter != null) {
                            sorter.add(e);
                        } else {
                            add(e);
                            if (batch.isEmpty()) {
                                progress.update(doneBytes + reader.bytesRead(), sentEntries);
                            }
                        }
                    }
                    doneBytes += reader.bytesRead();
                }
            }
            if (sorter != null) {
                Iterator<LogEntry> it = sorter.sorted();
                while (it.hasNext()) {
                    add(it.next());
                    if (batch.isEmpty()) {
                        progress.update(doneBytes, sentEntries);
                    }
                }
            }
            if (!batch.isEmpty()) {
                send();
            }
            progress.update(doneBytes, sentEntries);
            return finish();
        }
    }

    private InputStream open(String name) throws IOException {
        InputStream in;
        if (name.equals("-")) {
            in = new FilterInputStream(stdin) {
                @Override
                public void close() {
                    // standard input stays open
                }
            };
        } else {
            try {
                in = Files.newInputStream(Path.of(name));
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(name, null, "no such file");
            }
        }
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        if (name.toLowerCase(java.util.Locale.ROOT).endsWith(".gz")) {
            return new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
        }
        return buffered;
    }

    private EntryReader readerFor(String name, InputStream in) throws IOException {
        EntryFormat f = format;
        if (f == null) {
            f = name.equals("-") ? null : EntryFormat.forFileName(name);
        }
        if (f == null) {
            f = EntryFormat.sniff((BufferedInputStream) in);
        }
        return f.reader(name, in);
    }

    private void add(LogEntry e) {
        int size = LogEntryCodec.encodedSize(e);
        if (!batch.isEmpty() && (batch.size() >= batchSize || batchBytes + size > maxBatchBytes)) {
            send();
        }
        batch.add(e);
        batchBytes += size;
        if (batch.size() >= batchSize) {
            send();
        }
    }

    private void send() {
        rethrowFailure();
        List<LogEntry> b = batch;
        batch = new ArrayList<>(Math.min(batchSize, 4096));
        batchBytes = 0;
        CompletableFuture<UploadResult> f = sink.apply(b); // waits while the in-flight window is full
        batches++;
        sentEntries += b.size();
        // Keep the dependent future: it completes only after the bookkeeping below has run.
        CompletableFuture<UploadResult> tracked = f.whenComplete((r, t) -> {
            synchronized (lock) {
                if (t != null) {
                    if (failure == null) {
                        failure = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                    }
                } else if (r.stored() > 0) {
                    storedEntries += r.stored();
                    firstSequence = Math.min(firstSequence, r.firstSequence());
                    lastSequence = Math.max(lastSequence, r.lastSequence());
                }
            }
        });
        inFlight.add(tracked);
        while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
            inFlight.poll();
        }
    }

    private void rethrowFailure() {
        Throwable t;
        synchronized (lock) {
            t = failure;
        }
        if (t instanceof LogwireException le) {
            throw le;
        }
        if (t != null) {
            throw new LogwireException(t.getMessage(), t);
        }
    }

    /** Waits for every batch in flight, then reports. */
    private Summary finish() {
        for (CompletableFuture<UploadResult> f : inFlight) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LogwireException("interrupted while waiting for the server to acknowledge");
            } catch (ExecutionException e) {
                // recorded by the completion callback
            }
        }
        inFlight.clear();
        rethrowFailure();
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (lock) {
            return new Summary(storedEntries, batches, skipped, storedEntries > 0 ? firstSequence : -1, lastSequence,
                    seconds);
        }
    }
}
