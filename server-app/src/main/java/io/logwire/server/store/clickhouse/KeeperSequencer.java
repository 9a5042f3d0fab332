package io.logwire.server.store.clickhouse;

import io.logwire.server.store.StoreException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * One sequence for every logwire server sharing a ClickHouse store, kept in ZooKeeper or
 * ClickHouse Keeper (docs/scale-out.md, "One sequence for every node").
 *
 * <p>Under {@code root}: {@code next} holds the next free sequence (8 bytes, big-endian) and
 * {@code inflight} one EPHEMERAL child per insert that has numbers but no final outcome yet,
 * named {@code r-<first sequence>}. {@link #allocate} moves {@code next} and creates the
 * insert's child in ONE ZooKeeper transaction; {@link #release} deletes the child once the
 * insert is stored or known not to be.
 *
 * <p>The <em>stable point</em> is {@code min(next, every in-flight first)}, with {@code next}
 * read before the children: every sequence below it is either stored (visible to queries) or
 * will never be. Cursors and tails read only below it, so entries appear to them in sequence
 * order with no gap, whichever node stored them. Each node watches {@code inflight} (every
 * allocation and every release changes it) and recomputes the stable point on its own thread,
 * so tails are woken by any node's inserts without polling.
 *
 * <p>{@code once} holds one EPHEMERAL child per UPLOAD_ONCE batch id a server is looking up and
 * inserting ({@link #claim}), so that two servers given the same batch at once do not both
 * store it.
 *
 * <p>{@code orphans} holds one PERSISTENT child per failed insert whose rows may exist, named by
 * its batch token, its data the shard's URL: every server skips those rows in UPLOAD_ONCE
 * lookups and deletes them once the shard answers, even if the server that failed is gone.
 *
 * <p>An in-flight child disappears with its node's ZooKeeper session. If that happens while the
 * insert is still running, the stable point may pass numbers whose rows appear later; {@link
 * #release} then reports {@link Release#LOST} and the store fences the insert: it is not
 * acknowledged and its rows are deleted (the client's retry stores them under new numbers).
 */
final class KeeperSequencer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KeeperSequencer.class);
    private static final String PREFIX = "r-";

    /** What {@link #release} found. */
    enum Release {
        /** The insert's child was there until now: no reader has passed its numbers. */
        HELD,
        /** The child was gone (the session expired): readers may have passed its numbers. */
        LOST,
        /** ZooKeeper could not be asked: the child may linger until {@link #retryReleases} deletes it. */
        UNKNOWN
    }

    private final CuratorFramework client;
    private final String nextPath;
    private final String inflightPath;
    private final String oncePath;
    private final String orphansPath;
    private final ExecutorService watcher;
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final LongConsumer onAdvance;
    private final java.util.Queue<String> unreleased = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final org.apache.zookeeper.Watcher watch = event -> schedule();
    private volatile long stable;
    private volatile boolean closed;
    /** Whether the session is connected now: while it is not, {@link #allocate} fails at once. */
    private volatile boolean connected = true;
    /** The last refresh failed, so no watch is set; {@link #retryReleases} schedules another. */
    private volatile boolean refreshFailed;
    private final String connect;

    private KeeperSequencer(CuratorFramework client, String connect, String root, LongConsumer onAdvance) {
        this.client = client;
        this.connect = connect;
        this.nextPath = root + "/next";
        this.inflightPath = root + "/inflight";
        this.oncePath = root + "/once";
        this.orphansPath = root + "/orphans";
        this.onAdvance = onAdvance;
        this.watcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "logwire-keeper-watch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects, creates {@code root/next} (from {@code initialNext}, asked only if it is
     * missing) and {@code root/inflight} if needed, and computes the stable point. Blocks.
     *
     * @param onAdvance told each new (higher) stable point, on the watch thread, in order
     * @throws StoreException if ZooKeeper cannot be reached within the connect timeout
     */
    static KeeperSequencer open(String connect, String root, Duration sessionTimeout, Duration connectTimeout,
                                LongSupplier initialNext, LongConsumer onAdvance) {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                .connectionTimeoutMs((int) connectTimeout.toMillis())
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000))
                .build();
        client.start();
        KeeperSequencer s = new KeeperSequencer(client, connect, root, onAdvance);
        try {
            if (!client.blockUntilConnected((int) connectTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new StoreException("cannot reach ZooKeeper / ClickHouse Keeper at " + connect);
            }
            if (client.checkExists().forPath(s.nextPath) == null) {
                long first = initialNext.getAsLong();
                try {
                    client.create().creatingParentsIfNeeded().forPath(s.nextPath, encode(first));
                    log.info("sequence counter {} created at {}", s.nextPath, first);
                } catch (KeeperException.NodeExistsException e) {
                    // Another node created it first: theirs holds.
                }
            }
            try {
                client.create().creatingParentsIfNeeded().forPath(s.inflightPath);
            } catch (KeeperException.NodeExistsException e) {
                // Already there.
            }
            s.stable = s.compute();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new StoreException("interrupted while connecting to ZooKeeper", e);
        } catch (StoreException e) {
            s.close();
            throw e;
        } catch (Exception e) {
            s.close();
            throw new StoreException("ZooKeeper at " + connect + ": " + e, e);
        }
        client.getConnectionStateListenable().addListener((c, state) -> {
            s.connected = state.isConnected();
            if (state == ConnectionState.RECONNECTED) {
                log.info("ZooKeeper at {} answers again", connect);
                s.schedule(); // watches of an expired session are gone: set them again
            } else if (state == ConnectionState.SUSPENDED) {
                log.warn("ZooKeeper at {} unreachable: uploads fail until it answers again", connect);
            } else if (state == ConnectionState.LOST) {
                log.warn("ZooKeeper session lost: inserts of this server in flight now are not acknowledged");
            }
        });
        return s;
    }

    /**
     * Takes {@code rows} sequences for one insert: moves {@code next} and creates the insert's
     * in-flight child atomically. Blocks (ZooKeeper round trips; the writer thread only).
     *
     * @return the first of them
     * @throws StoreException if ZooKeeper cannot be reached
     */
    long allocate(int rows) {
        if (!connected) {
            throw new StoreException("ZooKeeper / ClickHouse Keeper at " + connect + " is unreachable: no sequence "
                    + "numbers can be taken");
        }
        try {
            for (int attempt = 0; ; attempt++) {
                Stat stat = new Stat();
                long first = decode(client.getData().storingStatIn(stat).forPath(nextPath));
                CuratorOp move = client.transactionOp().setData().withVersion(stat.getVersion())
                        .forPath(nextPath, encode(first + rows));
                CuratorOp mark = client.transactionOp().create().withMode(CreateMode.EPHEMERAL)
                        .forPath(child(first), encode(rows));
                try {
                    client.transaction().forOperations(move, mark);
                    return first;
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
                    // Another node moved the counter between the read and the transaction: read again.
                    if (attempt > 0 && attempt % 100 == 0) {
                        log.warn("sequence allocation contended: {} attempts", attempt);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while taking sequences from ZooKeeper", e);
        } catch (Exception e) {
            throw new StoreException("cannot take sequences from ZooKeeper: " + e, e);
        }
    }

    /**
     * Ends the in-flight state of the insert numbered from {@code first}; then recomputes the
     * stable point at once (the writer thread's acknowledgements wait for it).
     */
    Release release(long first) {
        Release r;
        try {
            client.delete().forPath(child(first));
            r = Release.HELD;
        } catch (KeeperException.NoNodeException e) {
            r = Release.LOST;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unreleased.add(child(first));
            return Release.UNKNOWN;
        } catch (Exception e) {
            log.warn("cannot delete in-flight marker {}: {}", child(first), e.toString());
            unreleased.add(child(first));
            return Release.UNKNOWN;
        }
        schedule();
        return r;
    }

    /**
     * Claims UPLOAD_ONCE batch {@code batchId} for this server while it looks the id up and
     * inserts the batch: an EPHEMERAL {@code once/<batchId>}. Blocks (the writer thread only).
     *
     * @return false if another server holds the claim now
     * @throws StoreException if ZooKeeper cannot be reached
     */
    boolean claim(String batchId) {
        if (!connected) {
            throw new StoreException("ZooKeeper / ClickHouse Keeper at " + connect + " is unreachable: batch ids "
                    + "cannot be claimed");
        }
        try {
            client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(oncePath + "/" + batchId);
            return true;
        } catch (KeeperException.NodeExistsException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while claiming batch id " + batchId, e);
        } catch (Exception e) {
            throw new StoreException("cannot claim batch id " + batchId + " in ZooKeeper: " + e, e);
        }
    }

    /**
     * Ends a {@link #claim} of this session (a claim that went with an expired session and was
     * since taken by another server is left alone); if ZooKeeper cannot be asked now, {@link
     * #retryReleases} deletes it later.
     */
    void unclaim(String batchId) {
        String path = oncePath + "/" + batchId;
        try {
            deleteOwn(path);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unreleased.add(path);
        } catch (Exception e) {
            unreleased.add(path);
        }
    }

    /** Records a failed insert whose rows may exist (see the class comment); logs if it cannot. */
    void addOrphan(String token, java.net.URI shard) {
        try {
            client.create().creatingParentsIfNeeded().forPath(orphansPath + "/" + token,
                    shard.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (KeeperException.NodeExistsException e) {
            // Already recorded.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("cannot record failed insert {} in ZooKeeper (only this server will delete its rows): {}",
                    token, e.toString());
        }
    }

    /**
     * The failed inserts every server has recorded: token -> shard.
     *
     * @throws StoreException if ZooKeeper cannot be asked
     */
    java.util.Map<String, java.net.URI> orphans() {
        try {
            List<String> tokens;
            try {
                tokens = client.getChildren().forPath(orphansPath);
            } catch (KeeperException.NoNodeException e) {
                return java.util.Map.of();
            }
            java.util.Map<String, java.net.URI> out = new java.util.HashMap<>();
            for (String t : tokens) {
                try {
                    out.put(t, java.net.URI.create(new String(client.getData().forPath(orphansPath + "/" + t),
                            java.nio.charset.StandardCharsets.UTF_8)));
                } catch (KeeperException.NoNodeException e) {
                    // Removed meanwhile.
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while reading failed inserts from ZooKeeper", e);
        } catch (StoreException e) {
            throw e;
        } catch (Exception e) {
            throw new StoreException("cannot read failed inserts from ZooKeeper: " + e, e);
        }
    }

    /** Forgets a failed insert whose rows are gone. */
    void removeOrphan(String token) {
        try {
            client.delete().forPath(orphansPath + "/" + token);
        } catch (KeeperException.NoNodeException e) {
            // Another server did.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("cannot forget failed insert {} yet: {}", token, e.toString());
        }
    }

    /** Deletes {@code path} if it is an ephemeral node of this session. */
    private void deleteOwn(String path) throws Exception {
        try {
            Stat stat = client.checkExists().forPath(path);
            if (stat != null && stat.getEphemeralOwner() == client.getZookeeperClient().getZooKeeper().getSessionId()) {
                client.delete().withVersion(stat.getVersion()).forPath(path);
            }
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            // Gone, or no longer ours.
        }
    }

    /**
     * Deletes in-flight children and claims that {@link #release} or {@link #unclaim} could not,
     * and schedules a refresh if the last one failed (health thread, every health interval).
     */
    void retryReleases() {
        if (refreshFailed) {
            schedule(); // the last refresh set no watch: nothing else would wake this node's tails
        }
        String path;
        while ((path = unreleased.peek()) != null) {
            try {
                deleteOwn(path);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                return;
            }
            unreleased.remove(path);
            schedule();
        }
    }

    /** Whether the keeper session is connected now. */
    boolean isConnected() {
        return connected;
    }

    /** The last stable point computed: every sequence below it is stored or never will be. */
    long stable() {
        return stable;
    }

    /** Recomputes the stable point on the watch thread (coalesced). */
    private void schedule() {
        if (!closed && dirty.compareAndSet(false, true)) {
            try {
                watcher.execute(this::refresh);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closed.
            }
        }
    }

    private void refresh() {
        dirty.set(false);
        if (closed) {
            return;
        }
        try {
            long s = compute();
            refreshFailed = false;
            if (s > stable) {
                stable = s;
                onAdvance.accept(s);
            }
        } catch (Exception e) {
            if (!closed) {
                refreshFailed = true;
                log.warn("cannot read the stable sequence from ZooKeeper: {}", e.toString());
            }
        }
    }

    /** {@code next} first, then the in-flight children (with a watch that schedules the next refresh). */
    private long compute() throws Exception {
        long s = decode(client.getData().forPath(nextPath));
        List<String> children = client.getChildren().usingWatcher(watch).forPath(inflightPath);
        for (String c : children) {
            if (c.startsWith(PREFIX)) {
                s = Math.min(s, Long.parseLong(c.substring(PREFIX.length())));
            }
        }
        return s;
    }

    private String child(long first) {
        // Zero-padded: the names sort like the numbers.
        return inflightPath + "/" + PREFIX + String.format("%019d", first);
    }

    private static byte[] encode(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static long decode(byte[] b) {
        if (b == null || b.length != 8) {
            throw new StoreException("ZooKeeper sequence counter is not 8 bytes");
        }
        return ByteBuffer.wrap(b).getLong();
    }

    /** Closes the session: this node's in-flight children go with it. */
    @Override
    public void close() {
        closed = true;
        watcher.shutdownNow();
        client.close();
    }
}
