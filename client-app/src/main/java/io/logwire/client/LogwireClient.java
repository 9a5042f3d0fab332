package io.logwire.client;

import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.compress.CompressingMessageEncoder;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.MalformedEntryException;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import javax.net.ssl.SSLSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A connection to a logwire server (PROTOCOL.md sections 1-5). Thread-safe: any number of
 * threads may send requests at once; they are pipelined on the one connection, at most
 * {@link ClientConfig#maxInFlight()} unanswered at a time, and matched to their replies by
 * stream id.
 *
 * <p>The asynchronous methods return {@link CompletableFuture}s, completed on the connection's
 * event loop (do not block in their callbacks). When the in-flight window is full they wait
 * for room before returning; called from the event loop itself they queue instead. Failures
 * are {@link ServerErrorException} (an ERROR reply), {@link RequestTimeoutException} and
 * {@link ConnectionException}. {@link #sync()} offers the same operations blocking.
 * {@link #query} and {@link #search} stream their rows with backpressure ({@link RowStream}).
 *
 * <pre>{@code
 * try (LogwireClient client = LogwireClient.connect(ClientConfig.builder().caFile(Path.of("ca.crt")).build())) {
 *     client.sync().upload(entries);
 *     try (RowStream rows = client.query("port>1024", 0)) {
 *         rows.forEachRemaining(System.out::println);
 *     }
 * }
 * }</pre>
 */
public final class LogwireClient implements AutoCloseable {
    /** The highest protocol version this client speaks. */
    public static final int PROTOCOL_VERSION = 2;

    private final ClientConfig config;
    private final Channel channel;
    private final ReplyRouter router;
    private final Semaphore window;
    private final ClientResources resources;
    private volatile boolean ownsResources;
    private final Sync sync = new Sync();
    private volatile HelloResult hello;
    /** The version offered in HELLO on this connection (2, or 1 after a fallback). */
    private final int offeredVersion;
    private volatile String authOk;
    private volatile boolean closed;

    private LogwireClient(ClientConfig config, Channel channel, ReplyRouter router, Semaphore window,
                          ClientResources resources, boolean ownsResources, int offeredVersion) {
        this.offeredVersion = offeredVersion;
        this.config = config;
        this.channel = channel;
        this.router = router;
        this.window = window;
        this.resources = resources;
        this.ownsResources = ownsResources;
        channel.closeFuture().addListener(f -> onClosed());
    }

    // ---------------------------------------------------------------- connecting

    /**
     * Connects with private event loops: TCP, the TLS handshake, then a HELLO round trip,
     * all within the configured timeout.
     *
     * @throws ConnectionException    naming the cause (refused, timeout, untrusted certificate,
     *                                hostname mismatch, expired certificate, plaintext server, ...)
     * @throws ConfigurationException if the TLS files cannot be read
     * @throws ServerErrorException   if the server refuses HELLO
     */
    public static LogwireClient connect(ClientConfig config) {
        ClientResources resources = ClientResources.create();
        try {
            return connect(config, resources, true);
        } catch (RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    /** Connects on shared event loops, which the caller closes after every client using them. */
    public static LogwireClient connect(ClientConfig config, ClientResources resources) {
        return connect(config, resources, false);
    }

    private static LogwireClient connect(ClientConfig config, ClientResources resources, boolean owns) {
        Objects.requireNonNull(config, "config");
        if (config.protocolVersion() >= 2) {
            try {
                return connect(config, resources, owns, 2);
            } catch (ServerErrorException e) {
                if (e.errorCode() != io.logwire.protocol.message.ErrorCode.UNSUPPORTED_VERSION) {
                    throw e;
                }
                // A version-1 server closes the connection after UNSUPPORTED_VERSION (PROTOCOL.md 6.0):
                // reconnect and say version 1.
            }
        }
        return connect(config, resources, owns, 1);
    }

    private static LogwireClient connect(ClientConfig config, ClientResources resources, boolean owns,
                                         int version) {
        SslContext ssl = config.plaintext() ? null : resources.sslContext(config);
        Semaphore window = new Semaphore(config.maxInFlight());
        ReplyRouter router = new ReplyRouter(config, window, new StreamIds());
        long timeoutMillis = config.timeout().isZero() ? 0 : Math.max(1, config.timeout().toMillis());
        Bootstrap b = new Bootstrap()
                .group(resources.group())
                .channel(resources.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .handler(new ClientInitializer(config, ssl, router));
        ChannelFuture cf = b.connect(config.host(), config.port());
        if (!cf.awaitUninterruptibly().isSuccess()) {
            throw ConnectionFailures.describe(cf.cause(), null, config);
        }
        Channel ch = cf.channel();
        // Owning the event loops only once connected: a failed attempt (say, HELLO v2 refused by a
        // version-1 server) must not stop them before the fallback attempt.
        LogwireClient client = new LogwireClient(config, ch, router, window, resources, false, version);
        try {
            SslHandler sslHandler = ch.pipeline().get(SslHandler.class);
            if (sslHandler != null) {
                Future<Channel> hs = sslHandler.handshakeFuture().awaitUninterruptibly();
                if (!hs.isSuccess()) {
                    ch.close().awaitUninterruptibly();
                    throw ConnectionFailures.describe(hs.cause(), null, config);
                }
                if (!config.insecure()) {
                    checkValidity(sslHandler.engine().getSession(), config);
                }
            }
            // HELLO proves the connection works end to end (in TLS 1.3 a server may refuse our
            // client certificate only after the handshake) and tells us the server's frame limit.
            client.hello = client.sync().hello();
            client.negotiateCompression();
            if (config.token() != null) {
                try {
                    client.authOk = client.sync().authenticate(config.token());
                } catch (ServerErrorException e) {
                    client.closeChannel();
                    throw new ConnectionException(ConnectionException.Reason.AUTH_REFUSED, "server "
                            + config.address() + " refused the token: " + e.getMessage()
                            + " (check --token-file / LOGWIRE_TOKEN; the token may have been revoked)", e);
                }
            }
            client.ownsResources = owns;
            return client;
        } catch (ConnectionException e) {
            client.closeChannel();
            if (config.plaintext() && e.reason() == ConnectionException.Reason.CLOSED) {
                throw new ConnectionException(ConnectionException.Reason.TLS_SERVER, e.getMessage()
                        + " before answering HELLO; if the server speaks TLS, drop --plaintext", e);
            }
            throw e;
        } catch (RequestTimeoutException e) {
            client.closeChannel();
            throw new ConnectionException(ConnectionException.Reason.TIMEOUT, "server " + config.address()
                    + " did not answer HELLO within " + ClientConfig.format(config.timeout())
                    + " (is it a logwire server?)", e);
        } catch (RuntimeException e) {
            client.closeChannel();
            throw e;
        }
    }

    /**
     * PKIX does not check the validity of a trust anchor, so a self-signed server certificate
     * trusted with --ca would be accepted after it expired; refuse it like any expired one.
     */
    private static void checkValidity(SSLSession session, ClientConfig config) {
        try {
            java.security.cert.Certificate[] peer = session.getPeerCertificates();
            if (peer.length > 0 && peer[0] instanceof java.security.cert.X509Certificate leaf) {
                leaf.checkValidity();
            }
        } catch (java.security.cert.CertificateException | javax.net.ssl.SSLPeerUnverifiedException e) {
            throw ConnectionFailures.describe(e, null, config);
        }
    }

    public ClientConfig config() {
        return config;
    }

    /** The server's answer to the HELLO sent when connecting. */
    public HelloResult serverHello() {
        return hello;
    }

    /** The TLS session, or null in plaintext mode. */
    public SSLSession tlsSession() {
        SslHandler h = channel.pipeline().get(SslHandler.class);
        return h == null ? null : h.engine().getSession();
    }

    /** The protocol version spoken on this connection: 2, or 1 with an older server. */
    public int protocolVersion() {
        HelloResult h = hello;
        return h == null ? offeredVersion : h.protocolVersion();
    }

    /** The codec large requests are compressed with on this connection, or null (none negotiated). */
    public CompressionCodec requestCompression() {
        CompressingMessageEncoder enc = channel.pipeline().get(CompressingMessageEncoder.class);
        return enc == null ? null : enc.codec();
    }

    /** Sends large UPLOAD and UPLOAD_ONCE requests compressed if the server accepts the configured codec. */
    private void negotiateCompression() {
        CompressionCodec wanted = config.compression();
        HelloResult h = hello;
        if (wanted == null || h == null || h.protocolVersion() < 2 || !h.serverCodecs().contains(wanted)) {
            return;
        }
        CompressingMessageEncoder enc = channel.pipeline().get(CompressingMessageEncoder.class);
        if (enc != null) {
            enc.codec(wanted);
        }
    }

    private void requireVersion2(String what) {
        if (protocolVersion() < 2) {
            throw new UnsupportedOperationException(what + " needs protocol version 2; the server "
                    + config.address() + " speaks version " + protocolVersion());
        }
    }

    public boolean isOpen() {
        return !closed && channel.isActive();
    }

    /** The largest UPLOAD body the server takes: its frame limit less the header. */
    public long maxUploadBytes() {
        HelloResult h = hello;
        long max = h != null ? h.maxFrameLength() : FrameConstants.DEFAULT_MAX_FRAME_LENGTH;
        return max - FrameConstants.HEADER_SIZE - 4;
    }

    /** The blocking form of the asynchronous operations. */
    public Sync sync() {
        return sync;
    }

    // ---------------------------------------------------------------- asynchronous operations

    /**
     * UPLOAD: stores the entries atomically (all or none). The entries are encoded on the
     * calling thread.
     *
     * @throws IllegalArgumentException if an entry cannot be encoded (a string over 65,535
     *                                  bytes) or the batch exceeds the server's frame limit
     */
    public CompletableFuture<UploadResult> upload(List<LogEntry> entries) {
        long size = 0;
        for (LogEntry e : entries) {
            size += LogEntryCodec.encodedSize(e);
        }
        if (size > maxUploadBytes()) {
            throw new IllegalArgumentException("a batch of " + entries.size() + " entries is " + size
                    + " bytes; the server takes at most " + maxUploadBytes() + " per UPLOAD: split it");
        }
        ByteBuf buf = channel.alloc().buffer((int) size);
        try {
            for (LogEntry e : entries) {
                LogEntryCodec.encode(e, buf);
            }
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        return uploadValid(buf, entries.size());
    }

    /**
     * UPLOAD of a batch already in wire encoding (PROTOCOL.md section 3): {@code count} entries,
     * the readable bytes of {@code entries}, sent as they are, which saves encoding for callers
     * that keep or forward encoded entries. Takes ownership of {@code entries}: it is released
     * once written, or at once if this method throws.
     *
     * @throws IllegalArgumentException if the bytes are not exactly {@code count} well-formed
     *                                  entries (checked here, as the server would) or exceed the
     *                                  server's frame limit
     */
    public CompletableFuture<UploadResult> uploadEncoded(ByteBuf entries, int count) {
        try {
            if (entries.readableBytes() > maxUploadBytes()) {
                throw new IllegalArgumentException("a batch of " + entries.readableBytes()
                        + " bytes exceeds the server's limit of " + maxUploadBytes() + " per UPLOAD: split it");
            }
            try {
                LogEntryCodec.validateBatch(entries, entries.readerIndex(), entries.readableBytes(), count);
            } catch (MalformedEntryException e) {
                throw new IllegalArgumentException("malformed batch: " + e.getMessage(), e);
            }
        } catch (RuntimeException e) {
            entries.release();
            throw e;
        }
        return uploadValid(entries, count);
    }

    /**
     * UPLOAD_ONCE (PROTOCOL.md 6.2): like {@link #upload}, but idempotent: sending the same
     * {@code batchId} again (on any connection) stores nothing new and repeats the first answer
     * with {@code duplicate} set. {@link ResilientUploader} retries with it across reconnects.
     *
     * @throws UnsupportedOperationException if the server speaks only protocol version 1
     */
    public CompletableFuture<UploadOnceResult> uploadOnce(BatchId batchId, List<LogEntry> entries) {
        long size = 0;
        for (LogEntry e : entries) {
            size += LogEntryCodec.encodedSize(e);
        }
        if (size > maxUploadBytes() - BatchId.SIZE) {
            throw new IllegalArgumentException("a batch of " + entries.size() + " entries is " + size
                    + " bytes; the server takes at most " + (maxUploadBytes() - BatchId.SIZE)
                    + " per UPLOAD_ONCE: split it");
        }
        ByteBuf buf = channel.alloc().buffer((int) size);
        try {
            for (LogEntry e : entries) {
                LogEntryCodec.encode(e, buf);
            }
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        return uploadOnceEncoded(batchId, buf, entries.size());
    }

    /**
     * UPLOAD_ONCE of a batch in wire encoding; takes ownership of {@code entries} (released
     * once written, or at once if this method throws).
     */
    public CompletableFuture<UploadOnceResult> uploadOnceEncoded(BatchId batchId, ByteBuf entries, int count) {
        try {
            Objects.requireNonNull(batchId, "batchId");
            if (batchId.isZero()) {
                throw new IllegalArgumentException("a batch id of all zero bytes is not allowed");
            }
            requireVersion2("UPLOAD_ONCE");
            if (entries.readableBytes() > maxUploadBytes() - BatchId.SIZE) {
                throw new IllegalArgumentException("a batch of " + entries.readableBytes()
                        + " bytes exceeds the server's limit of " + (maxUploadBytes() - BatchId.SIZE)
                        + " per UPLOAD_ONCE: split it");
            }
            try {
                LogEntryCodec.validateBatch(entries, entries.readerIndex(), entries.readableBytes(), count);
            } catch (MalformedEntryException e) {
                throw new IllegalArgumentException("malformed batch: " + e.getMessage(), e);
            }
        } catch (RuntimeException e) {
            entries.release();
            throw e;
        }
        return send(new Single<>("UPLOAD_ONCE", entries, id -> new Request.UploadOnce(id, batchId, count, entries),
                r -> r instanceof Reply.UploadOnceOk ok
                        ? new UploadOnceResult(ok.stored(), ok.firstSequence(), ok.duplicate()) : null));
    }

    /**
     * QUERY_FROM (PROTOCOL.md 6.3): the entries matching {@code filter} whose sequence is at
     * least {@code fromSequence}, in sequence order, at most {@code limit} (0 = all).
     * {@link RowStream#lastSequence()} tells each row's sequence, {@link RowStream#nextSequence()}
     * where to continue once the stream has ended. {@link QueryPager} pages through a result.
     */
    public RowStream queryFrom(String filter, long fromSequence, long limit) {
        Objects.requireNonNull(filter, "filter");
        requireVersion2("QUERY_FROM");
        if (limit < 0 || limit > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("limit must be 0..4294967295: " + limit);
        }
        if (fromSequence < 0) {
            throw new IllegalArgumentException("fromSequence must be >= 0: " + fromSequence);
        }
        RowStream rows = new RowStream(Opcode.QUERY_FROM, limit, fromSequence, filter, config.timeout(),
                config.maxBufferedRows(), channel.eventLoop(), router, this::cancelQuietly);
        submit(rows.pending());
        return rows;
    }

    /**
     * TAIL (PROTOCOL.md 6.4): the stored matches from {@code fromSequence}, then every new
     * matching entry as it becomes durable, without end. {@link RowStream#hasNext()} waits as long
     * as it takes; closing the stream sends CANCEL. Use {@link TailFollower} for a tail that
     * survives disconnects and OVERLOADED ends.
     *
     * @param fromSequence the first sequence wanted, or {@link #TAIL_FROM_NOW} for new entries only
     */
    public RowStream tail(String filter, long fromSequence) {
        Objects.requireNonNull(filter, "filter");
        requireVersion2("TAIL");
        RowStream rows = new RowStream(Opcode.TAIL, 0, fromSequence, filter, Duration.ZERO,
                config.maxBufferedRows(), channel.eventLoop(), router, this::cancelQuietly);
        submit(rows.pending());
        return rows;
    }

    /** The {@code fromSequence} of a TAIL that wants only entries stored from now on. */
    public static final long TAIL_FROM_NOW = -1L;

    /**
     * CANCEL (PROTOCOL.md 6.3): ends the streaming request on {@code targetStreamId}; the target
     * then gets its final frame with the totals so far.
     */
    public CompletableFuture<Void> cancel(int targetStreamId) {
        requireVersion2("CANCEL");
        return send(new Single<>("CANCEL", null, id -> new Request.Cancel(id, targetStreamId),
                r -> r instanceof Reply.CancelOk ? Boolean.TRUE : null)).thenApply(b -> null);
    }

    /** Event loop or any thread: CANCEL whose outcome nobody waits for (a closed stream). */
    private void cancelQuietly(int targetStreamId) {
        if (closed || protocolVersion() < 2) {
            return;
        }
        Single<Boolean> p = new Single<>("CANCEL", null, id -> new Request.Cancel(id, targetStreamId),
                r -> r instanceof Reply.CancelOk ? Boolean.TRUE : null);
        submit(p);
    }

    /**
     * AGGREGATE (PROTOCOL.md 6.5): {@code "FILTER | count, sum(dataSent) by username top 10"};
     * the result as typed rows.
     */
    public CompletableFuture<AggregateResult> aggregate(String query) {
        Objects.requireNonNull(query, "query");
        requireVersion2("AGGREGATE");
        return send(new Single<>("AGGREGATE", null, id -> new Request.Aggregate(id, query), r -> {
            if (r instanceof Reply.AggregateOk ok) {
                try {
                    return AggregateResult.fromJson(ok.json());
                } catch (RuntimeException e) {
                    throw new ConnectionException(ConnectionException.Reason.PROTOCOL_ERROR,
                            "the server sent an aggregate result that is not valid: " + e.getMessage(), e);
                }
            }
            return null;
        }));
    }

    private CompletableFuture<UploadResult> uploadValid(ByteBuf buf, int count) {
        return send(new Single<>("UPLOAD", buf, id -> new Request.Upload(id, count, buf),
                r -> r instanceof Reply.UploadOk ok ? new UploadResult(ok.stored(), ok.firstSequence()) : null));
    }

    /** ECHO: the server returns the bytes unchanged. */
    public CompletableFuture<byte[]> echo(byte[] data) {
        return echo(data, config.timeout());
    }

    /** ECHO with its own timeout (zero = none). */
    public CompletableFuture<byte[]> echo(byte[] data, Duration timeout) {
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        return send(new Single<>("ECHO", timeout, buf, id -> new Request.Echo(id, buf), r -> {
            if (r instanceof Reply.EchoOk ok) {
                byte[] out = new byte[ok.data().readableBytes()];
                ok.data().getBytes(ok.data().readerIndex(), out);
                return out;
            }
            return null;
        }));
    }

    /** ECHO of text as UTF-8. */
    public CompletableFuture<String> echo(String text) {
        return echo(text.getBytes(StandardCharsets.UTF_8)).thenApply(b -> new String(b, StandardCharsets.UTF_8));
    }

    /** DOUBLE: {@code 2 * value}; fails with OVERFLOW outside the i32 range. */
    public CompletableFuture<Integer> doubleValue(int value) {
        return send(new Single<>("DOUBLE", null, id -> new Request.DoubleValue(id, value),
                r -> r instanceof Reply.DoubleOk ok ? ok.value() : null));
    }

    /** NEGATE: {@code -value}; fails with OVERFLOW for -2147483648. */
    public CompletableFuture<Integer> negate(int value) {
        return send(new Single<>("NEGATE", null, id -> new Request.NegateValue(id, value),
                r -> r instanceof Reply.NegateOk ok ? ok.value() : null));
    }

    /** STATS: the server's figures as a JSON object text. */
    public CompletableFuture<String> stats() {
        return send(new Single<>("STATS", null, Request.Stats::new,
                r -> r instanceof Reply.StatsOk ok ? ok.json() : null));
    }

    /**
     * AUTH (PROTOCOL.md 6.8): sends a bearer token; completes with the AUTH_OK JSON
     * ({@code {"identity": "...", "roles": [...]}}), or a {@link ServerErrorException}
     * {@code UNAUTHORIZED}. Sent by {@link #connect} when {@link ClientConfig#token()} is set.
     */
    public CompletableFuture<String> authenticate(BearerToken token) {
        return send(new Single<>("AUTH", null, id -> new Request.Auth(id, token.value()),
                r -> r instanceof Reply.AuthOk ok ? ok.json() : null));
    }

    /** The AUTH_OK JSON of the AUTH sent when connecting, or null if no token was configured. */
    public String authResult() {
        return authOk;
    }

    /**
     * HELLO: agrees on the protocol version (the one offered when connecting: 2, or 1 after a
     * fallback) and, in version 2, announces the configured compression codec; tells the
     * server's frame limit, version and accepted codecs.
     */
    public CompletableFuture<HelloResult> hello() {
        int codecs = offeredVersion >= 2 && config.compression() != null ? config.compression().bit() : 0;
        return send(new Single<>("HELLO", null, id -> new Request.Hello(id, offeredVersion, codecs, config.clientName()),
                r -> r instanceof Reply.HelloOk ok
                        ? new HelloResult(ok.protocolVersion(), ok.maxFrameLength(), ok.serverName(),
                        ok.protocolVersion() >= 2 ? ok.acceptedCodecs() : 0) : null));
    }

    /**
     * QUERY: the entries matching {@code filter} (PROTOCOL.md section 5), in sequence order.
     * Blocks only while the in-flight window is full.
     *
     * @param limit at most this many rows; 0 = all
     */
    public RowStream query(String filter, long limit) {
        return scan(Opcode.QUERY, filter, limit);
    }

    /**
     * SEARCH: the entries whose username, IP or server contains {@code term}, ignoring case.
     *
     * @param limit at most this many rows; 0 = all
     */
    public RowStream search(String term, long limit) {
        return scan(Opcode.SEARCH, term, limit);
    }

    private RowStream scan(Opcode op, String text, long limit) {
        Objects.requireNonNull(text, "text");
        if (limit < 0 || limit > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("limit must be 0..4294967295: " + limit);
        }
        RowStream rows = new RowStream(op, limit, 0, text, config.timeout(), config.maxBufferedRows(),
                channel.eventLoop(), router, protocolVersion() >= 2 ? this::cancelQuietly : null);
        submit(rows.pending());
        return rows;
    }

    // ---------------------------------------------------------------- plumbing

    private <T> CompletableFuture<T> send(Single<T> p) {
        submit(p);
        return p.future;
    }

    /** Takes a window permit (waiting for one, except on the event loop) and hands the request to the loop. */
    private void submit(PendingRequest p) {
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            router.submitFromLoop(p);
            return;
        }
        if (closed) {
            p.discard();
            p.fail(router.closedException());
            return;
        }
        try {
            window.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.discard();
            p.fail(new LogwireException("interrupted while waiting for room to send " + p.name));
            return;
        }
        if (closed) {
            window.release();
            p.discard();
            p.fail(router.closedException());
            return;
        }
        p.holdsPermit = true;
        try {
            loop.execute(() -> router.start(p));
        } catch (RejectedExecutionException e) {
            p.holdsPermit = false;
            window.release();
            p.discard();
            p.fail(router.closedException());
        }
    }

    private void onClosed() {
        closed = true;
        // Wake every thread waiting for window room; they see the connection is closed.
        window.release(config.maxInFlight() + 100_000);
    }

    private void closeChannel() {
        closed = true;
        router.closingByClient();
        if (channel.eventLoop().inEventLoop()) {
            // Called from a callback: waiting here would deadlock.
            channel.close();
            if (ownsResources) {
                resources.group().shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            return;
        }
        channel.close().awaitUninterruptibly();
        if (ownsResources) {
            resources.close();
        }
    }

    /**
     * Closes the connection at once: requests still waiting fail with a
     * {@link ConnectionException}. Idempotent.
     */
    @Override
    public void close() {
        closeChannel();
    }

    /** Stream ids reserved right now, for tests. */
    int[] reservedStreamIds() {
        return onLoop(router::reservedIds);
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) {
        try {
            return channel.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LogwireException("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new LogwireException("event loop task failed: " + e, e);
        }
    }

    /** A request answered by exactly one final frame. */
    private final class Single<T> extends PendingRequest {
        final CompletableFuture<T> future = new CompletableFuture<>();
        private final Function<Integer, Request> builder;
        private final Function<Reply, T> mapper;
        private ByteBuf payload;

        Single(String name, ByteBuf payload, Function<Integer, Request> builder, Function<Reply, T> mapper) {
            this(name, config.timeout(), payload, builder, mapper);
        }

        Single(String name, Duration timeout, ByteBuf payload, Function<Integer, Request> builder,
               Function<Reply, T> mapper) {
            super(name, timeout);
            this.payload = payload;
            this.builder = builder;
            this.mapper = mapper;
        }

        @Override
        Request build(int streamId) {
            payload = null; // the request owns it now
            return builder.apply(streamId);
        }

        @Override
        boolean onReply(Reply reply) {
            try {
                if (!reply.isFinal()) {
                    return false;
                }
                ServerErrorException error = ServerErrorException.of(reply);
                if (error != null) {
                    future.completeExceptionally(error);
                    return true;
                }
                T value;
                try {
                    value = mapper.apply(reply);
                } catch (LogwireException e) {
                    future.completeExceptionally(e);
                    return true;
                }
                if (value == null) {
                    return false;
                }
                future.complete(value);
                return true;
            } finally {
                ReferenceCountUtil.release(reply);
            }
        }

        @Override
        void fail(LogwireException e) {
            future.completeExceptionally(e);
        }

        @Override
        void discard() {
            if (payload != null) {
                payload.release();
                payload = null;
            }
        }
    }

    /**
     * The blocking operations: each waits for its reply and throws what the future would
     * complete with. Not for use on the event loop.
     */
    public final class Sync {
        private Sync() {
        }

        public UploadResult upload(List<LogEntry> entries) {
            return await(LogwireClient.this.upload(entries));
        }

        public byte[] echo(byte[] data) {
            return await(LogwireClient.this.echo(data));
        }

        public String echo(String text) {
            return await(LogwireClient.this.echo(text));
        }

        public int doubleValue(int value) {
            return await(LogwireClient.this.doubleValue(value));
        }

        public int negate(int value) {
            return await(LogwireClient.this.negate(value));
        }

        public String stats() {
            return await(LogwireClient.this.stats());
        }

        public String authenticate(BearerToken token) {
            return await(LogwireClient.this.authenticate(token));
        }

        public HelloResult hello() {
            return await(LogwireClient.this.hello());
        }

        public UploadOnceResult uploadOnce(BatchId batchId, List<LogEntry> entries) {
            return await(LogwireClient.this.uploadOnce(batchId, entries));
        }

        public AggregateResult aggregate(String query) {
            return await(LogwireClient.this.aggregate(query));
        }

        public void cancel(int targetStreamId) {
            await(LogwireClient.this.cancel(targetStreamId));
        }

        private <T> T await(CompletableFuture<T> f) {
            if (channel.eventLoop().inEventLoop()) {
                throw new IllegalStateException("blocking call on the client's event loop would deadlock");
            }
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LogwireException("interrupted while waiting for a reply");
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof LogwireException le) {
                    throw le;
                }
                throw new LogwireException(String.valueOf(c.getMessage()), c);
            }
        }
    }
}
