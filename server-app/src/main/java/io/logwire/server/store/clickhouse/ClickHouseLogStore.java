package io.logwire.server.store.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.aggregate.AggregateFunction;
import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.Aggregation;
import io.logwire.protocol.aggregate.TooManyGroupsException;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.message.BatchId;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.BatchDigest;
import io.logwire.server.store.BatchIdReusedException;
import io.logwire.server.store.OnceResult;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.LogStore;
import io.logwire.server.store.StoreException;
import io.logwire.server.store.StoreStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * A {@link LogStore} on ClickHouse (docs/scale-out.md), over its HTTP interface.
 *
 * <p>Rows are {@code (seq, batch, username, ip, port, accessTime, dataSent, dataReceived,
 * score, server)} in a {@code MergeTree} ordered by {@code seq}; with a cluster, a local table
 * ({@code <table>_local}) on every shard and a {@code Distributed} table over them for reads.
 *
 * <p>Appends: {@link #append} only queues (bounded by bytes; beyond that the upload is
 * OVERLOADED) and never blocks. One writer thread takes the waiting batches, up to
 * {@code maxInsertRows} rows, numbers them from this node's next sequence and sends them as
 * ONE RowBinary insert, one block with one batch token, into ONE shard's local table (round
 * robin; a shard that refuses the connection is skipped): all of it is stored or none.
 * Inserting in order from one thread keeps a node's sequences contiguous: a failed insert gives
 * its numbers to the next one. An insert whose outcome is unknown (a timeout or a broken
 * connection after the request was sent) is resolved by counting its batch token on that shard
 * before it is sent again, so it is never stored twice; if that is impossible its numbers are
 * skipped instead of reused, and its rows are deleted once the shard answers again (until then
 * the batch may be visible although it was not acknowledged).
 *
 * <p>Sequences: with a keeper ({@link ClickHouseConfig#keeper()}), one sequence for every server
 * sharing the store, taken per insert from ZooKeeper / ClickHouse Keeper ({@link KeeperSequencer}):
 * reads stop at the stable point (below it every number is stored or never will be) and an
 * insert is acknowledged once the stable point has passed it, so tails and QUERY_FROM see one
 * order without gaps across nodes, and what was acknowledged is visible to the next read.
 * Without a keeper, node {@code n} owns [n * 2^40, (n + 1) * 2^40); at start-up the next one is
 * {@code max(seq) + 1} of that range (docs/protocol.md), and reads are unbounded.
 *
 * <p>UPLOAD_ONCE ({@link #appendOnce}): the batch id lives in the batch column. An UPLOAD_ONCE
 * batch is inserted alone, as one block whose batch token is {@code o-<batchId>-<digest>}
 * (hex) instead of a random one, so its rows and its id are stored atomically, and the
 * unknown-outcome resolution above works on it unchanged. Before inserting, the writer thread
 * looks the id up: first in a bounded in-memory map of the ids this server stored recently,
 * then with {@code SELECT ... WHERE batch LIKE 'o-<batchId>-%'} over the whole (Distributed)
 * table, so a retry sent to another server, or after a restart, is found too. The lookup scans
 * the batch column (this ClickHouse has no data-skipping index to use): its cost grows with the
 * table, one scan per new UPLOAD_ONCE batch. Check and insert happen on the one writer thread,
 * so concurrent retries to the same server store once; across servers, a keeper claim on the id
 * ({@link KeeperSequencer#claim}) covers the lookup and the insert; without a keeper, two servers
 * given the same batch at the same moment could both miss and both insert (docs/scale-out.md).
 * Batch ids are remembered as long as their rows are kept (ClickHouse has no retention here),
 * beyond any window.
 *
 * <p>Health: a connection failure opens a circuit: appends then fail at once with a
 * {@link StoreException} (STORAGE_ERROR) until a background {@code /ping} succeeds. STATS
 * figures are refreshed in the background every few health intervals.
 */
public final class ClickHouseLogStore implements LogStore, io.micrometer.core.instrument.binder.MeterBinder {
    private static final Logger log = LoggerFactory.getLogger(ClickHouseLogStore.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SCHEMA_COLUMNS = "seq UInt64, batch String, username String, ip String, port UInt16, "
            + "accessTime UInt32, dataSent UInt32, dataReceived UInt32, score Float32, server String";
    private static final int STATS_EVERY = 5;

    private final ClickHouseConfig config;
    private final ClickHouseHttp http;
    private final URI base;
    private final String table;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final Thread writer;
    private final ScheduledExecutorService health;
    private final LongAdder insertErrors = new LongAdder();
    private final LongAdder rowsInserted = new LongAdder();
    private final LongAdder inserts = new LongAdder();
    /** Time of each insert (until ClickHouse answered, resolution of an unknown outcome included); set by bindTo. */
    private volatile io.micrometer.core.instrument.Timer insertTimer;
    private final Object closeLock = new Object();
    private volatile boolean available = true;
    private volatile boolean closed;
    private volatile long nextSequence;
    /** One sequence for every node (null: this node's own range). */
    private KeeperSequencer keeper;
    /** Acknowledgements waiting for the keeper's stable point to reach their end, by end. */
    private final java.util.PriorityQueue<Waiting> waiting =
            new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Waiting::end));

    private record Waiting(long end, Runnable complete, java.util.function.Consumer<StoreException> fail) {
    }
    private final java.util.concurrent.CopyOnWriteArrayList<java.util.function.LongConsumer> endListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private static final ObjectMapper JSON = new ObjectMapper();
    private volatile StoreStats cachedStats = new StoreStats(0, 0, 0, -1, -1);
    private volatile long storedBytes;
    private int healthTicks;

    /** A batch waiting for its insert; owns {@code entries} until {@link #release()}. */
    private static final class Pending {
        private final ByteBuf entries;
        private final int count;
        private final int bytes;
        private final CompletableFuture<AppendResult> future;
        /** UPLOAD_ONCE only (else null). */
        private final BatchId batchId;
        private final BatchDigest digest;
        private final CompletableFuture<OnceResult> once;
        private boolean released;

        Pending(ByteBuf entries, int count, int bytes, CompletableFuture<AppendResult> future) {
            this(entries, count, bytes, future, null, null, null);
        }

        Pending(ByteBuf entries, int count, int bytes, CompletableFuture<AppendResult> future, BatchId batchId,
                BatchDigest digest, CompletableFuture<OnceResult> once) {
            this.entries = entries;
            this.count = count;
            this.bytes = bytes;
            this.future = future;
            this.batchId = batchId;
            this.digest = digest;
            this.once = once;
            if (once != null) {
                future.whenComplete((r, e) -> {
                    if (e != null) {
                        once.completeExceptionally(e);
                    } else if (!once.isDone()) {
                        once.complete(new OnceResult(r.stored(), r.firstSequence(), false));
                    }
                });
            }
        }

        boolean isOnce() { return batchId != null; }

        ByteBuf entries() { return entries; }
        int count() { return count; }
        int bytes() { return bytes; }
        CompletableFuture<AppendResult> future() { return future; }

        /** Releases the entries once (refCnt() cannot tell: a slice reports its parent's count). */
        void release() {
            if (!released) {
                released = true;
                entries.release();
            }
        }
    }

    private ClickHouseLogStore(ClickHouseConfig config) {
        this.config = config;
        this.http = new ClickHouseHttp(config);
        this.base = config.urls().get(0);
        this.table = config.database() + "." + config.table();
        this.writer = new Thread(this::writeLoop, "logwire-clickhouse-writer");
        this.writer.setDaemon(true);
        this.health = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("logwire-clickhouse-health", true));
    }

    /**
     * Connects, creates the database and tables if missing, recovers this node's next sequence
     * and starts the writer. Blocks (call it at start-up, not on an event loop).
     *
     * @throws StoreException if ClickHouse cannot be reached or refuses the schema
     */
    public static ClickHouseLogStore open(ClickHouseConfig config) {
        if (config.cluster() == null && config.urls().size() > 1) {
            throw new IllegalArgumentException("several --clickhouse-url values need --clickhouse-cluster "
                    + "(without a cluster only one server is used)");
        }
        ClickHouseLogStore store = new ClickHouseLogStore(config);
        try {
            store.createSchema();
            if (config.keeper() == null) {
                store.nextSequence = store.recoverNextSequence();
            }
            store.refreshStats();
            if (config.keeper() != null) {
                // Last: nothing after it can fail and leave its session open.
                store.keeper = KeeperSequencer.open(config.keeper(), config.keeperRoot(), config.keeperSessionTimeout(),
                        config.connectTimeout(), store::recoverGlobalNext, store::stableAdvanced);
            }
        } catch (IOException e) {
            throw new StoreException("cannot reach ClickHouse at " + store.base + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while opening the ClickHouse store", e);
        }
        store.writer.start();
        long ms = config.healthInterval().toMillis();
        store.health.scheduleWithFixedDelay(store::healthTick, ms, ms, TimeUnit.MILLISECONDS);
        if (store.keeper != null) {
            log.info("ClickHouse store {} at {} (cluster {}), one sequence for every node in {} at {}: stable up to {}",
                    store.table, store.base, config.cluster() == null ? "none" : config.cluster(), config.keeper(),
                    config.keeperRoot(), store.keeper.stable());
        } else {
            log.info("ClickHouse store {} at {} (cluster {}), node {}: next sequence {}", store.table, store.base,
                    config.cluster() == null ? "none" : config.cluster(), config.nodeId(), store.nextSequence);
        }
        return store;
    }

    private void createSchema() throws IOException, InterruptedException {
        List<URI> targets = config.cluster() == null ? List.of(base) : config.urls();
        String db = config.database();
        String local = db + "." + config.localTable();
        for (URI u : targets) {
            http.execute(u, "CREATE DATABASE IF NOT EXISTS " + db);
            http.execute(u, "CREATE TABLE IF NOT EXISTS " + local + " (" + SCHEMA_COLUMNS + ") "
                    + "ENGINE = MergeTree() ORDER BY seq");
            if (config.cluster() != null) {
                http.execute(u, "CREATE TABLE IF NOT EXISTS " + table + " AS " + local + " ENGINE = Distributed("
                        + config.cluster() + ", " + db + ", " + config.localTable() + ", cityHash64(batch))");
            }
        }
    }

    private long recoverNextSequence() throws IOException, InterruptedException {
        long lo = config.firstSequence();
        long hi = config.sequenceLimit();
        String[] r = http.execute(base, "SELECT count(), max(seq) FROM " + table + " WHERE seq >= " + lo
                + " AND seq < " + hi + " FORMAT TSV").strip().split("\t");
        return Long.parseLong(r[0]) == 0 ? lo : Long.parseUnsignedLong(r[1]) + 1;
    }

    /** Where a keeper's new sequence counter starts: after every row of the table, whichever node stored it. */
    private long recoverGlobalNext() {
        try {
            String[] r = http.execute(base, "SELECT count(), max(seq) FROM " + table + " FORMAT TSV").strip().split("\t");
            return Long.parseLong(r[0]) == 0 ? 0 : Long.parseUnsignedLong(r[1]) + 1;
        } catch (IOException e) {
            throw new StoreException("cannot read the highest sequence from ClickHouse: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted", e);
        }
    }

    /** The keeper's stable point moved up (its watch thread): tails, then the acknowledgements it allows. */
    private void stableAdvanced(long stable) {
        notifyEnd(stable);
        List<Runnable> ready = new ArrayList<>();
        synchronized (waiting) {
            while (!waiting.isEmpty() && waiting.peek().end() <= stable) {
                ready.add(waiting.poll().complete());
            }
            waiting.notifyAll(); // close() may wait for the queue to drain
        }
        ready.forEach(Runnable::run);
    }

    /**
     * Runs {@code complete} once everything below {@code end} is readable in sequence order
     * (at once without a keeper); {@code fail} instead if the store closes first.
     */
    private void whenStable(long end, Runnable complete, java.util.function.Consumer<StoreException> fail) {
        if (keeper != null) {
            synchronized (waiting) {
                if (keeper.stable() < end) {
                    waiting.add(new Waiting(end, complete, fail));
                    return;
                }
            }
        }
        complete.run();
    }

    private void notifyEnd(long end) {
        for (java.util.function.LongConsumer l : endListeners) {
            try {
                l.accept(end);
            } catch (RuntimeException e) {
                log.error("end listener failed", e);
            }
        }
    }

    @Override
    public CompletableFuture<AppendResult> append(ByteBuf entries, int count) {
        return enqueue(entries, count, null, null, null);
    }

    /** {@inheritDoc} See the class comment for how the id is kept and looked up. */
    @Override
    public CompletableFuture<OnceResult> appendOnce(BatchId batchId, BatchDigest digest, ByteBuf entries, int count) {
        CompletableFuture<OnceResult> once = new CompletableFuture<>();
        CompletableFuture<AppendResult> f = enqueue(entries, count, batchId, digest, once);
        if (f.isCompletedExceptionally()) {
            return f.thenApply(r -> new OnceResult(r.stored(), r.firstSequence(), false));
        }
        return once;
    }

    private CompletableFuture<AppendResult> enqueue(ByteBuf entries, int count, BatchId batchId, BatchDigest digest,
                                                    CompletableFuture<OnceResult> once) {
        if (closed) {
            entries.release();
            return CompletableFuture.failedFuture(new StoreException("the store is closed"));
        }
        if (!available) {
            entries.release();
            return CompletableFuture.failedFuture(new StoreException("ClickHouse at " + base
                    + " is unreachable (re-checked every " + config.healthInterval().toMillis() + " ms)"));
        }
        if (keeper != null && !keeper.isConnected()) {
            entries.release();
            return CompletableFuture.failedFuture(new StoreException("ZooKeeper / ClickHouse Keeper at "
                    + config.keeper() + " is unreachable: no sequence numbers can be taken"));
        }
        int bytes = entries.readableBytes();
        long waiting = pendingBytes.addAndGet(bytes);
        if (waiting > config.maxPendingBytes() && waiting != bytes) {
            pendingBytes.addAndGet(-bytes);
            entries.release();
            return CompletableFuture.failedFuture(new StoreException("store is overloaded: "
                    + (waiting - bytes) + " bytes are waiting for ClickHouse"));
        }
        CompletableFuture<AppendResult> future = new CompletableFuture<>();
        Pending pending = new Pending(entries, count, bytes, future, batchId, digest, once);
        queue.add(pending);
        // close() raced with this append and the writer may be gone: take it back if still here.
        if (closed && queue.remove(pending)) {
            pendingBytes.addAndGet(-bytes);
            pending.release();
            future.completeExceptionally(new StoreException("the store is closed"));
        }
        return future;
    }

    private void writeLoop() {
        List<Pending> group = new ArrayList<>();
        while (true) {
            Pending p;
            try {
                p = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                p = null;
            }
            if (p == null) {
                if (closed && queue.isEmpty()) {
                    return;
                }
                continue;
            }
            group.add(p);
            long rows = p.count();
            Pending q;
            // An UPLOAD_ONCE batch is inserted alone: its block carries its id.
            while (!p.isOnce() && (q = queue.peek()) != null && !q.isOnce()
                    && rows + q.count() <= config.maxInsertRows()) {
                Pending taken = queue.poll(); // q, unless a racing close() took it back
                if (taken == null) {
                    break;
                }
                group.add(taken);
                rows += taken.count();
            }
            try {
                writeGroup(group, (int) rows);
            } catch (RuntimeException e) {
                log.error("ClickHouse insert failed unexpectedly", e);
                fail(group, new StoreException("insert failed: " + e, e));
            } finally {
                for (Pending g : group) {
                    pendingBytes.addAndGet(-g.bytes());
                    g.release();
                }
                group.clear();
            }
        }
    }

    /**
     * Inserts one group as one block; completes or fails every batch of it. Writer thread only.
     * With a keeper, an UPLOAD_ONCE batch's id is claimed for the lookup and the insert, so two
     * servers given the same batch at once cannot both store it.
     */
    private void writeGroup(List<Pending> group, int rows) {
        if (!available) {
            fail(group, new StoreException("ClickHouse at " + base + " is unreachable"));
            return;
        }
        Pending single = group.get(0);
        if (single.isOnce() && single.count() > 0 && keeper != null) {
            String id = single.batchId.toString();
            try {
                if (!keeper.claim(id)) {
                    fail(group, new StoreException("batch id " + id + " is being stored by another server right "
                            + "now; retry"));
                    return;
                }
            } catch (StoreException e) {
                fail(group, e);
                return;
            }
            claim = id;
        }
        try {
            writeClaimed(group, rows);
        } finally {
            if (claim != null) {
                keeper.unclaim(claim);
                claim = null;
            }
        }
    }

    /** The batch id this writer holds in the keeper (null: none); an {@link Orphan} may take it over. */
    private String claim;

    private void writeClaimed(List<Pending> group, int rows) {
        Pending single = group.get(0);
        if (single.isOnce() && alreadyStored(single)) {
            return;
        }
        long first;
        if (keeper != null) {
            try {
                first = keeper.allocate(rows);
            } catch (StoreException e) {
                insertErrors.increment();
                fail(group, e);
                return;
            }
        } else {
            first = nextSequence;
        }
        if (keeper == null && first + rows > config.sequenceLimit()) {
            fail(group, new StoreException("node " + config.nodeId() + " has used its sequence range ["
                    + config.firstSequence() + ", " + config.sequenceLimit() + "): give this server a new --node-id"));
            return;
        }
        String token;
        if (single.isOnce()) {
            token = onceToken(single.batchId, single.digest);
        } else {
            byte[] tokenBytes = new byte[16];
            RANDOM.nextBytes(tokenBytes);
            token = HexFormat.of().formatHex(tokenBytes);
        }
        byte[] tokenAscii = token.getBytes(StandardCharsets.US_ASCII);
        int size = 0;
        for (Pending p : group) {
            size += p.entries().readableBytes() + p.count() * (8 + 1 + tokenAscii.length + 8);
        }
        ByteBuf body = Unpooled.buffer(size);
        long seq = first;
        for (Pending p : group) {
            RowBinary.writeRows(p.entries(), p.count(), seq, tokenAscii, body);
            seq += p.count();
            p.release();
        }
        long insertStart = System.nanoTime();
        Outcome outcome = insert(body, token, rows);
        io.micrometer.core.instrument.Timer timer = insertTimer;
        if (timer != null) {
            timer.record(System.nanoTime() - insertStart, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        if (keeper != null) {
            KeeperSequencer.Release release = keeper.release(first);
            if (release == KeeperSequencer.Release.LOST && single.isOnce()) {
                // The batch id's claim went with the session: take it again (if no other server has),
                // so that until this insert's rows are gone no retry elsewhere calls them a duplicate.
                try {
                    keeper.claim(single.batchId.toString());
                } catch (StoreException e) {
                    log.warn("cannot claim batch id {} again after losing the ZooKeeper session: {}", single.batchId,
                            e.getMessage());
                }
            }
            if (outcome == Outcome.STORED && release != KeeperSequencer.Release.HELD) {
                // Readers may have passed these numbers while the insert ran: fence it.
                addOrphan(lastShard, token);
                insertErrors.increment();
                fail(group, new StoreException("the ZooKeeper session was lost while inserting (" + release
                        + "): the batch is not acknowledged and its rows are being deleted; send it again"));
                return;
            }
        }
        switch (outcome) {
            case STORED -> {
                nextSequence = first + rows;
                if (keeper == null) {
                    notifyEnd(first + rows);
                }
                rowsInserted.add(rows);
                inserts.increment();
                // Between refreshes, STATS counts this node's own inserts at once.
                StoreStats st = cachedStats;
                cachedStats = new StoreStats(st.entriesStored() + rows, st.segments(), st.bytesOnDisk(),
                        st.oldestSequence() < 0 ? first : st.oldestSequence(),
                        Math.max(st.newestSequence(), first + rows - 1));
                long s = first;
                List<Runnable> acks = new ArrayList<>(group.size());
                for (Pending p : group) {
                    if (p.isOnce()) {
                        remember(p.batchId, p.digest, s, p.count());
                    }
                    AppendResult result = new AppendResult(p.count(), s);
                    acks.add(() -> p.future().complete(result));
                    s += p.count();
                }
                List<Pending> mine = List.copyOf(group);
                whenStable(first + rows, () -> acks.forEach(Runnable::run), e -> fail(mine, e));
            }
            case FAILED -> {
                insertErrors.increment();
                fail(group, new StoreException(lastError));
            }
            case SKIPPED -> {
                // It may still appear: never reuse its numbers.
                insertErrors.increment();
                nextSequence = first + rows;
                fail(group, new StoreException(lastError));
            }
            default -> throw new IllegalStateException(outcome.toString());
        }
    }

    private enum Outcome { STORED, FAILED, RETRY, SKIPPED }

    /** Recently stored UPLOAD_ONCE batches of this server: id -> {digest high, digest low, firstSequence, count}. */
    private final java.util.LinkedHashMap<BatchId, long[]> recentOnce = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<BatchId, long[]> eldest) {
            return size() > RECENT_ONCE;
        }
    };
    /** Ids kept in {@link #recentOnce}: about 150 bytes each; older ones are looked up in ClickHouse. */
    private static final int RECENT_ONCE = 100_000;

    /** {@code o-<batchId>-<digest>-<random>}: the random part keeps each attempt's token its own (orphan deletes). */
    static String onceToken(BatchId id, BatchDigest digest) {
        return "o-" + id + "-" + HexFormat.of().toHexDigits(digest.high()) + HexFormat.of().toHexDigits(digest.low())
                + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
    }

    private void remember(BatchId id, BatchDigest digest, long first, int count) {
        recentOnce.put(id, new long[] {digest.high(), digest.low(), first, count});
    }

    /**
     * Whether the UPLOAD_ONCE batch {@code p} is already stored; if so (or if its id is stored
     * with other content, or the lookup failed) completes it. A batch of 0 entries stores
     * nothing: it completes with the next sequence. Writer thread only.
     */
    private boolean alreadyStored(Pending p) {
        if (p.count() == 0) {
            p.future().complete(new AppendResult(0, nextSequence()));
            return true;
        }
        long[] r = recentOnce.get(p.batchId);
        if (r == null) {
            String answer;
            try {
                // Rows of an attempt whose outcome was unknown are being deleted: they do not count.
                java.util.Set<String> skip = new java.util.TreeSet<>();
                orphans.forEach(o -> skip.add(o.token()));
                if (keeper != null) {
                    skip.addAll(keeper.orphans().keySet()); // other servers' failed inserts too
                }
                StringBuilder notOrphans = new StringBuilder();
                String prefix = "o-" + p.batchId + "-";
                for (String token : skip) {
                    if (token.startsWith(prefix)) {
                        notOrphans.append(" AND batch != ").append(ClickHouseSql.literal(token));
                    }
                }
                answer = http.execute(base, "SELECT batch, min(seq), count() FROM " + table + " WHERE batch LIKE "
                        + ClickHouseSql.literal("o-" + p.batchId + "-%") + notOrphans + " GROUP BY batch FORMAT TSV")
                        .strip();
            } catch (IOException e) {
                markUnavailable(e);
                p.future().completeExceptionally(new StoreException("cannot look up batch id " + p.batchId
                        + " in ClickHouse: " + e, e));
                return true;
            } catch (StoreException e) {
                p.future().completeExceptionally(e); // the keeper's list of failed inserts could not be read
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.future().completeExceptionally(new StoreException("interrupted", e));
                return true;
            }
            if (answer.isEmpty()) {
                return false;
            }
            String[] f = answer.split("\n")[0].split("\t");
            String hex = f[0].split("-")[2];
            r = new long[] {HexFormat.fromHexDigitsToLong(hex, 0, 16), HexFormat.fromHexDigitsToLong(hex, 16, 32),
                    Long.parseUnsignedLong(f[1]), Long.parseLong(f[2])};
            recentOnce.put(p.batchId, r);
        }
        if (r[0] != p.digest.high() || r[1] != p.digest.low()) {
            p.future().completeExceptionally(new BatchIdReusedException("batch id reused with different content "
                    + "(batch id " + p.batchId + " is already stored with another body)"));
        } else {
            long[] stored = r;
            // A retry may overtake the original's acknowledgement: answer it no earlier.
            whenStable(r[2] + r[3], () -> {
                p.once.complete(new OnceResult((int) stored[3], stored[2], true));
                p.future().complete(new AppendResult((int) stored[3], stored[2]));
            }, e -> p.future().completeExceptionally(e));
        }
        return true;
    }

    private String lastError;

    /**
     * Sends the rows to ONE shard's local table (round robin), never through the Distributed
     * table: ClickHouse's synchronous distributed insert contacts every shard and reports an
     * error when one is down even after it wrote the rows to another, while a single-block insert
     * into one MergeTree is all-or-nothing and its error is final. A shard that refuses the
     * connection got nothing, so the next one is tried.
     */
    private Outcome insert(ByteBuf body, String token, int rows) {
        List<URI> shards = config.cluster() == null ? List.of(base) : config.urls();
        int start = (int) Math.floorMod(shardCursor++, (long) shards.size());
        String local = config.database() + "." + config.localTable();
        Map<String, String> params = ClickHouseHttp.params(
                "query", "INSERT INTO " + local + " (" + ClickHouseSql.COLUMNS + ") FORMAT RowBinary",
                "query_id", token,
                // One block: the whole insert is one part, all-or-nothing.
                "max_insert_block_size", Integer.toString(Math.max(rows, 1_048_576)));
        Exception refused = null;
        // Shards known to be down go last: tried only when every other one refuses too.
        List<URI> order = new ArrayList<>(shards.size());
        for (int k = 0; k < shards.size(); k++) {
            URI u = shards.get((start + k) % shards.size());
            if (!downShards.contains(u)) {
                order.add(u);
            }
        }
        for (int k = 0; k < shards.size(); k++) {
            URI u = shards.get((start + k) % shards.size());
            if (downShards.contains(u)) {
                order.add(u);
            }
        }
        for (URI shard : order) {
            lastShard = shard;
            Outcome o = send(shard, params, body, token, rows);
            if (o == Outcome.RETRY) {
                log.warn("insert {} of {} rows on {}: outcome unknown and not stored, sending it again", token, rows, shard);
                o = send(shard, params, body, token, rows);
                if (o == Outcome.RETRY) {
                    o = Outcome.SKIPPED;
                }
            }
            if (o == Outcome.SKIPPED) {
                addOrphan(shard, token);
            }
            if (o != null) {
                if (o != Outcome.SKIPPED && downShards.remove(shard)) {
                    log.info("ClickHouse shard {} takes inserts again", shard);
                }
                return o;
            }
            refused = lastConnectError;
            if (downShards.add(shard) && shards.size() > 1) {
                log.warn("ClickHouse shard {} refuses connections ({}): inserts go to the other shards until it "
                        + "answers again", shard, lastError);
            }
        }
        markUnavailable(refused);
        return Outcome.FAILED;
    }

    private long shardCursor;
    /** The shard the last insert went to (writer thread). */
    private URI lastShard;
    /** Failed inserts whose rows may still appear on their shard: deleted once it answers. */
    private final java.util.Queue<Orphan> orphans = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Remembers a failed insert whose rows may exist (with a keeper, in the keeper too, so every
     * server skips and deletes them). The batch id claim passes to it: released only once its rows
     * are gone, so that no server finds them and answers a retry "already stored" meanwhile.
     */
    private void addOrphan(URI shard, String token) {
        String c = claim;
        claim = null;
        orphans.add(new Orphan(shard, token, c));
        if (keeper != null) {
            keeper.addOrphan(token, shard);
        }
    }

    /** Failed inserts other servers recorded in the keeper, as this server deletes them (health thread). */
    private final Map<String, Orphan> keeperOrphans = new java.util.concurrent.ConcurrentHashMap<>();

    /** A failed insert whose rows may exist; {@code claim}: its batch id's keeper claim, or null. */
    private static final class Orphan {
        private final URI shard;
        private final String token;
        private final String claim;
        /** The DELETE mutation was sent; the orphan stays until its rows are seen gone (health thread). */
        private volatile boolean deleteSent;

        Orphan(URI shard, String token, String claim) {
            this.shard = shard;
            this.token = token;
            this.claim = claim;
        }

        URI shard() {
            return shard;
        }

        String token() {
            return token;
        }
    }
    /** Shards whose last insert could not connect; re-checked by the health pings. */
    private final java.util.Set<URI> downShards = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Exception lastConnectError;

    /** One attempt on one shard; null if the shard could not be connected to (nothing sent). */
    private Outcome send(URI shard, Map<String, String> params, ByteBuf body, String token, int rows) {
        try {
            http.insert(shard, params, body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes());
            return Outcome.STORED;
        } catch (ClickHouseHttp.ClickHouseError e) {
            lastError = e.getMessage();
            log.warn("insert of {} rows refused by {}: {}", rows, shard, e.getMessage());
            return Outcome.FAILED;
        } catch (HttpConnectTimeoutException | ConnectException e) {
            lastError = "cannot connect to ClickHouse at " + shard + ": " + e;
            lastConnectError = e;
            return null;
        } catch (IOException e) {
            lastError = "insert outcome unknown (" + e + ")";
            return resolve(shard, token, rows);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lastError = "interrupted";
            return resolve(shard, token, rows);
        }
    }

    /**
     * After an insert of unknown outcome: stops it if it is still running, then counts its batch
     * token on that shard. All of it there: stored. None: RETRY (sending it again cannot double
     * it). Cannot tell: SKIPPED.
     */
    private Outcome resolve(URI shard, String token, int rows) {
        String local = config.database() + "." + config.localTable();
        try {
            try {
                http.execute(shard, "KILL QUERY WHERE query_id = " + ClickHouseSql.literal(token) + " SYNC");
            } catch (ClickHouseHttp.ClickHouseError e) {
                log.debug("KILL QUERY {}: {}", token, e.getMessage());
            }
            long n = Long.parseLong(http.execute(shard, "SELECT count() FROM " + local + " WHERE batch = "
                    + ClickHouseSql.literal(token) + " FORMAT TSV").strip());
            if (n == rows) {
                log.info("insert {} of {} rows was stored despite {}", token, rows, lastError);
                return Outcome.STORED;
            }
            if (n == 0) {
                return Outcome.RETRY;
            }
            log.error("insert {} is partly visible ({} of {} rows): its sequences are skipped", token, n, rows);
            return Outcome.SKIPPED;
        } catch (IOException | RuntimeException e) {
            log.warn("cannot tell whether insert {} on {} was stored ({}): its sequences are skipped", token, shard,
                    e.toString());
            if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException) {
                downShards.add(shard);
                List<URI> shards = config.cluster() == null ? List.of(base) : config.urls();
                if (downShards.containsAll(shards)) {
                    markUnavailable(e);
                }
            }
            return Outcome.SKIPPED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.SKIPPED;
        }
    }

    private static void fail(List<Pending> group, StoreException e) {
        for (Pending p : group) {
            p.future().completeExceptionally(e);
        }
    }

    private void markUnavailable(Exception cause) {
        if (available) {
            available = false;
            log.warn("ClickHouse at {} is unreachable ({}): uploads fail until it answers again",
                    config.cluster() == null ? base : config.urls(), String.valueOf(cause));
        }
    }

    private void healthTick() {
        if (keeper != null) {
            keeper.retryReleases();
        }
        removeOrphans();
        try {
            for (URI u : downShards) {
                if (http.ping(u, config.connectTimeout()) && downShards.remove(u)) {
                    log.info("ClickHouse shard {} answers again", u);
                }
            }
            if (!available) {
                List<URI> shards = config.cluster() == null ? List.of(base) : config.urls();
                for (URI u : shards) {
                    if (http.ping(u, config.connectTimeout())) {
                        available = true;
                        log.info("ClickHouse at {} answers again", u);
                        break;
                    }
                }
                if (!available) {
                    return;
                }
            }
            if (++healthTicks % STATS_EVERY == 0) {
                refreshStats();
            }
        } catch (IOException | RuntimeException e) {
            // Figures stay as they were; availability is the inserts' and the pings' business.
            log.debug("ClickHouse stats refresh failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Deletes the rows, if any, of inserts that failed with an unknown outcome, once their shard
     * answers: their uploads got STORAGE_ERROR, so their rows must not stay visible. A mutation,
     * applied by ClickHouse in the background; an orphan is forgotten once its rows are seen gone.
     * Kept in memory only (lost if this server restarts before the shard returns).
     */
    private void removeOrphans() {
        String local = config.database() + "." + config.localTable();
        List<Orphan> work = new ArrayList<>(orphans);
        if (keeper != null) {
            try {
                Map<String, URI> recorded = keeper.orphans();
                keeperOrphans.keySet().retainAll(recorded.keySet());
                java.util.Set<String> mine = new java.util.HashSet<>();
                orphans.forEach(o -> mine.add(o.token()));
                recorded.forEach((token, shard) -> {
                    if (!mine.contains(token)) {
                        work.add(keeperOrphans.computeIfAbsent(token, t -> new Orphan(shard, t, null)));
                    }
                });
            } catch (StoreException e) {
                log.debug("cannot read failed inserts from ZooKeeper: {}", e.getMessage());
            }
        }
        for (Orphan o : work) {
            if (!http.ping(o.shard(), config.connectTimeout())) {
                continue;
            }
            try {
                if (!o.deleteSent) {
                    http.execute(o.shard(), "KILL QUERY WHERE query_id = " + ClickHouseSql.literal(o.token()) + " SYNC");
                    http.execute(o.shard(), "ALTER TABLE " + local + " DELETE WHERE batch = "
                            + ClickHouseSql.literal(o.token()));
                    o.deleteSent = true;
                    log.info("failed insert {} on {}: its rows, if it was stored after all, are being deleted",
                            o.token(), o.shard());
                }
                // The mutation runs in the background: until its rows are gone, UPLOAD_ONCE lookups skip
                // them and the batch id stays claimed, so a retry is stored again rather than called a
                // duplicate of rows about to vanish.
                long left = Long.parseLong(http.execute(o.shard(), "SELECT count() FROM " + local + " WHERE batch = "
                        + ClickHouseSql.literal(o.token()) + " FORMAT TSV").strip());
                if (left == 0) {
                    orphans.remove(o);
                    if (keeper != null) {
                        keeper.removeOrphan(o.token());
                        keeperOrphans.remove(o.token());
                        if (o.claim != null) {
                            keeper.unclaim(o.claim);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.debug("cannot yet delete the rows of failed insert {}: {}", o.token(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void refreshStats() throws IOException, InterruptedException {
        Duration timeout = config.connectTimeout().multipliedBy(2);
        String[] r = http.execute(base, "SELECT count(), min(seq), max(seq) FROM " + table + " FORMAT TSV",
                Map.of(), timeout).strip().split("\t");
        long count = Long.parseLong(r[0]);
        long parts = 0;
        long bytes = 0;
        List<URI> targets = config.cluster() == null ? List.of(base) : config.urls();
        for (URI u : targets) {
            String[] p = http.execute(u, "SELECT count(), sum(bytes_on_disk) FROM system.parts WHERE active AND database = "
                    + ClickHouseSql.literal(config.database()) + " AND table = "
                    + ClickHouseSql.literal(config.localTable()) + " FORMAT TSV", Map.of(), timeout).strip().split("\t");
            parts += Long.parseLong(p[0]);
            bytes += Long.parseLong(p[1]);
        }
        storedBytes = bytes;
        cachedStats = new StoreStats(count, parts, bytes, count == 0 ? -1 : Long.parseUnsignedLong(r[1]),
                count == 0 ? -1 : Long.parseUnsignedLong(r[2]));
    }

    @Override
    public Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter) {
        return openCursor(fromSequence, predicate, filter, 0);
    }

    @Override
    public Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter, long limit) {
        return new ClickHouseCursor(http, config.cluster() == null ? List.of(base) : config.urls(), table, fromSequence,
                keeper == null ? Long.MAX_VALUE : keeper.stable(), predicate, filter, limit);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Pushed down to a SQL {@code GROUP BY} when the filter translates exactly (a
     * {@code score} condition does not: ClickHouse compares it as f32, so those queries are
     * evaluated here, streaming the rows of a cursor). The group cap is a {@code LIMIT} of one
     * more row than allowed; ordering and {@code top} are applied here.
     */
    @Override
    public AggregateResult aggregate(AggregateQuery query, int maxGroups, BooleanSupplier stop) {
        ClickHouseSql.Translation where = ClickHouseSql.filter(query.filter());
        if (!where.exact()) {
            return LogStore.super.aggregate(query, maxGroups, stop);
        }
        String sql = ClickHouseSql.aggregate(query, where.condition(), table, maxGroups + 1);
        JsonNode data;
        try (InputStream in = http.stream(base, sql, Map.of())) {
            data = JSON.readTree(in).get("data");
        } catch (IOException e) {
            throw new StoreException("aggregation failed at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted", e);
        }
        if (data.size() > maxGroups) {
            throw new TooManyGroupsException(maxGroups);
        }
        List<Field> groupBy = query.groupBy();
        List<Aggregation> aggs = query.aggregations();
        List<List<Object>> rows = new ArrayList<>(data.size());
        for (JsonNode r : data) {
            List<Object> row = new ArrayList<>(groupBy.size() + aggs.size());
            int i = 0;
            for (Field f : groupBy) {
                JsonNode v = r.get(i++);
                row.add(!f.isNumeric() ? v.asText() : f == Field.SCORE ? (Object) v.asDouble() : (Object) v.asLong());
            }
            for (Aggregation a : aggs) {
                JsonNode v = r.get(i++);
                if (v.isNull()) {
                    row.add(null);
                } else if (a.function() == AggregateFunction.COUNT
                        || (a.field() != Field.SCORE && a.function() != AggregateFunction.AVG)) {
                    row.add(v.asLong());
                } else {
                    row.add(v.asDouble());
                }
            }
            rows.add(row);
        }
        return AggregateResult.of(query, rows);
    }

    /**
     * {@inheritDoc} With a keeper: called on the keeper's watch thread each time the stable
     * point moves up, whichever server's insert moved it. Without: called on the insert thread
     * after each successful insert of this server's own rows; rows other servers insert into
     * the same ClickHouse are not announced (see docs/scale-out.md).
     */
    @Override
    public AutoCloseable subscribe(java.util.function.LongConsumer listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        endListeners.add(listener);
        return () -> endListeners.remove(listener);
    }

    /**
     * With a keeper, the stable point: every number below it is stored or never will be, and
     * entries stored later get numbers at or above it. Without, this node's next sequence
     * (other nodes number in their own ranges).
     */
    @Override
    public long nextSequence() {
        return keeper != null ? keeper.stable() : nextSequence;
    }

    /**
     * With a keeper, the stable point. Without, unbounded: other nodes' rows have numbers above
     * this node's, and a ClickHouse query sees the data as it was when it started, which is
     * the snapshot a scan needs.
     */
    @Override
    public long scanEnd() {
        return keeper != null ? keeper.stable() : Long.MAX_VALUE;
    }

    /**
     * Figures as of the last background refresh (every few health intervals), plus this node's
     * inserts since then; other nodes' rows show at the next refresh.
     */
    @Override
    public StoreStats stats() {
        return cachedStats;
    }

    @Override
    public boolean isAvailable() {
        return available && !closed && (keeper == null || keeper.isConnected());
    }

    /** The insert latency histogram and the insert counters (docs/operations.md). */
    @Override
    public void bindTo(io.micrometer.core.instrument.MeterRegistry registry) {
        insertTimer = io.micrometer.core.instrument.Timer.builder("logwire.store.clickhouse.insert")
                .description("Time of one ClickHouse insert (a group of batches), stored or not")
                .serviceLevelObjectives(java.util.stream.Stream.of(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
                        10_000, 30_000).map(java.time.Duration::ofMillis).toArray(java.time.Duration[]::new))
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("logwire.store.clickhouse.inserts", inserts,
                LongAdder::sum).description("Inserts ClickHouse stored").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("logwire.store.clickhouse.insert.errors", insertErrors,
                LongAdder::sum).description("Inserts that failed (their uploads got STORAGE_ERROR)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("logwire.store.clickhouse.rows.inserted", rowsInserted,
                LongAdder::sum).description("Rows ClickHouse stored through this server").register(registry);
    }

    /** Inserts that failed since start. */
    public long insertErrors() {
        return insertErrors.sum();
    }

    /** Rows this server inserted since start. */
    public long rowsInserted() {
        return rowsInserted.sum();
    }

    /** Successful inserts (each one or more batches) since start. */
    public long inserts() {
        return inserts.sum();
    }

    /** Where requests go. */
    public URI url() {
        return base;
    }

    /** Nothing to do: an acknowledged insert is already in ClickHouse. */
    @Override
    public void sync() {
    }

    /** Stops taking batches, lets the writer insert the waiting ones, then stops. Idempotent. */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            writer.join(config.requestTimeout().toMillis() * 3);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (keeper != null) {
            // Stored batches wait for the stable point (other nodes' inserts in flight): give them time.
            long deadline = System.nanoTime() + config.requestTimeout().toNanos();
            synchronized (waiting) {
                while (!waiting.isEmpty() && System.nanoTime() < deadline) {
                    try {
                        waiting.wait(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                if (!waiting.isEmpty()) {
                    log.warn("{} stored batches closed before the stable point reached them: not acknowledged",
                            waiting.size());
                }
                StoreException closedFirst = new StoreException("the store was closed before other servers' "
                        + "inserts let this batch's numbers be read in order; it is stored: retry with UPLOAD_ONCE");
                waiting.forEach(w -> w.fail().accept(closedFirst));
                waiting.clear();
            }
            keeper.close();
        }
        health.shutdownNow();
        Pending p;
        while ((p = queue.poll()) != null) {
            p.release();
            p.future().completeExceptionally(new StoreException("the store was closed"));
        }
    }
}
