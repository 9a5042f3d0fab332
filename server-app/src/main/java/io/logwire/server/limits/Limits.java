package io.logwire.server.limits;

import io.logwire.server.ServerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The server's abuse limits (docs/security.md "Abuse limits"), one instance per server, and
 * their rejection counters ({@code logwire_limits_rejected_total{limit=...}}). Everything over
 * a limit is answered with {@code ERROR OVERLOADED} (PROTOCOL.md section 4), closed at accept
 * (TLS handshakes) or slowed down (bytes), never queued without bound. Thread-safe.
 */
public final class Limits {
    /** The {@code limit} label values of {@code logwire_limits_rejected_total}. */
    public enum Kind {
        /** A connection over {@code --max-connections-per-address}: OVERLOADED on stream 0, closed. */
        CONNECTIONS_PER_ADDRESS("connections_per_address"),
        /** A request over {@code --max-request-rate}: OVERLOADED on its stream. */
        REQUEST_RATE("request_rate"),
        /** A QUERY/SEARCH over {@code --max-queries-per-connection}: OVERLOADED on its stream. */
        QUERIES_PER_CONNECTION("queries_per_connection"),
        /** A QUERY/SEARCH over {@code --max-queries}: OVERLOADED on its stream. */
        QUERIES_TOTAL("queries_total"),
        /** A QUERY/SEARCH that ran past {@code --query-timeout}: cancelled, OVERLOADED ends its stream. */
        QUERY_TIME("query_time"),
        /** A TLS connection over {@code --max-handshake-rate}: closed at accept, before the handshake. */
        TLS_HANDSHAKE_RATE("tls_handshake_rate");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final ServerConfig config;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();
    private final TokenBucket handshakes;
    private final Counter[] rejected = new Counter[Kind.values().length];
    private final Counter readPauses;

    /** Limits from {@code config}, counting into {@code registry}. */
    public Limits(ServerConfig config, MeterRegistry registry) {
        this(config, registry, System::nanoTime);
    }

    Limits(ServerConfig config, MeterRegistry registry, LongSupplier nanoClock) {
        this.config = config;
        this.nanoClock = nanoClock;
        int rate = config.maxHandshakeRate();
        this.handshakes = rate > 0 ? new TokenBucket(rate, rate, nanoClock) : null;
        for (Kind k : Kind.values()) {
            rejected[k.ordinal()] = Counter.builder("logwire.limits.rejected").tag("limit", k.label())
                    .description("Connections, requests and queries turned away or cut short by an abuse limit "
                            + "(docs/security.md)")
                    .register(registry);
        }
        readPauses = Counter.builder("logwire.limits.read.pauses")
                .description("Times a connection's reads were paused for going over --max-byte-rate")
                .register(registry);
    }

    public ServerConfig config() {
        return config;
    }

    /** How many times {@code kind} turned something away. */
    public long rejections(Kind kind) {
        return (long) rejected[kind.ordinal()].count();
    }

    /** Counts one rejection. */
    public void rejected(Kind kind) {
        rejected[kind.ordinal()].increment();
    }

    void readPaused() {
        readPauses.increment();
    }

    /** Times reads were paused by the byte rate limit. */
    public long readPauses() {
        return (long) readPauses.count();
    }

    // ------------------------------------------------------------------ connections

    /**
     * Whether a new TLS connection may start its handshake now ({@code --max-handshake-rate});
     * counts a refusal.
     */
    public boolean tryHandshake() {
        if (handshakes == null || handshakes.tryTake(1)) {
            return true;
        }
        rejected(Kind.TLS_HANDSHAKE_RATE);
        return false;
    }

    /**
     * Counts {@code ch} against its remote address until it closes.
     *
     * @return null if admitted, else why not (for the OVERLOADED message; counted)
     */
    public String admitAddress(Channel ch) {
        if (!(ch.remoteAddress() instanceof InetSocketAddress remote) || remote.getAddress() == null) {
            return null; // embedded or local channels: nothing to count
        }
        InetAddress address = remote.getAddress();
        int max = config.maxConnectionsPerAddress();
        AtomicInteger count = perAddress.compute(address, (a, c) -> {
            AtomicInteger n = c == null ? new AtomicInteger() : c;
            n.incrementAndGet();
            return n;
        });
        if (count.get() > max) {
            release(address);
            rejected(Kind.CONNECTIONS_PER_ADDRESS);
            return "too many connections from " + address.getHostAddress() + " (the limit is " + max
                    + " per client address); try again later";
        }
        ch.closeFuture().addListener(f -> release(address));
        return null;
    }

    private void release(InetAddress address) {
        perAddress.computeIfPresent(address, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
    }

    /** Connections open now from {@code address} (tests, diagnostics). */
    public int connectionsFrom(InetAddress address) {
        AtomicInteger c = perAddress.get(address);
        return c == null ? 0 : c.get();
    }

    /** The per-connection state for a new connection. */
    public ConnectionLimits newConnection() {
        return new ConnectionLimits(this, config.maxRequestRate() > 0
                ? new TokenBucket(config.maxRequestRate(), config.maxRequestRate(), nanoClock) : null);
    }

    // ------------------------------------------------------------------ queries

    /**
     * Starts a QUERY/SEARCH on {@code connection} if both query limits allow it; a started
     * query must be ended with {@link #queryFinished} exactly once.
     *
     * @return null if started, else why not (for the OVERLOADED message; counted)
     */
    public String startQuery(ConnectionLimits connection) {
        int perConnection = config.maxQueriesPerConnection();
        if (connection.queries.incrementAndGet() > perConnection) {
            connection.queries.decrementAndGet();
            rejected(Kind.QUERIES_PER_CONNECTION);
            return "too many queries running on this connection (the limit is " + perConnection
                    + "); wait for one to finish";
        }
        int total = config.maxQueries();
        if (queries.incrementAndGet() > total) {
            queries.decrementAndGet();
            connection.queries.decrementAndGet();
            rejected(Kind.QUERIES_TOTAL);
            return "the server is running its maximum of " + total + " queries; try again later";
        }
        return null;
    }

    /** Ends a query that {@link #startQuery} started. */
    public void queryFinished(ConnectionLimits connection) {
        connection.queries.decrementAndGet();
        queries.decrementAndGet();
    }

    /** Queries running now, server-wide. */
    public int queriesRunning() {
        return queries.get();
    }

    /** A duration for messages: {@code 2m}, {@code 90s}, {@code 250ms}. */
    public static String describe(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0 && ms > 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /** {@code --query-timeout}, or zero for none. */
    public Duration queryTimeout() {
        return config.queryTimeout();
    }
}
