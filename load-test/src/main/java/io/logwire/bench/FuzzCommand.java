package io.logwire.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.client.ClientConfig;
import io.logwire.client.ClientTls;
import io.logwire.client.LogwireClient;
import io.logwire.client.RowStream;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code fuzz}: a network fuzzer (docs/security.md "Fuzzing"). Sends mutated frames built from
 * the protocol vectors (bit flips, length lies, truncation, splicing, random opcodes, random
 * bodies, and some frames left intact) at a running server from several connections,
 * reconnecting whenever the server closes one; then checks that the server still answers every
 * well-formed request correctly on a fresh connection. Fails (exit 1) if it does not, or if no
 * frame could be sent. Leaks and heap are checked outside, from the server's log and process.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Network fuzzer: mutated vector frames over TLS from several connections, then a check "
                + "that the server still answers well-formed requests correctly."})
final class FuzzCommand extends Scenario {
    /**
     * Frame mutations; {@link #NONE} sends a vector frame unchanged. The first five keep the
     * length field right, so the server stays in step with the stream; the others (length
     * lies, truncation, splicing, junk) throw it out of step, so each connection ends with one.
     */
    enum Mutation {
        NONE, BIT_FLIP, RANDOM_OPCODE, RANDOM_STREAM, RANDOM_BODY,
        LENGTH_LIE, TRUNCATE, SPLICE, RANDOM_BYTES;

        static final Mutation[] IN_STEP = {NONE, BIT_FLIP, RANDOM_OPCODE, RANDOM_STREAM, RANDOM_BODY};
        static final Mutation[] OUT_OF_STEP = {LENGTH_LIE, TRUNCATE, SPLICE, RANDOM_BYTES};
    }

    /** Stream id of the ECHO that marks the end of a connection's in-step frames. */
    static final int SENTINEL_STREAM = 0x7FFF_FFFF;

    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = {"-n", "--frames"}, defaultValue = "100000", description = "Mutated frames to send in all.")
    long frames;

    @Option(names = {"-c", "--connections"}, defaultValue = "4", description = "Connections sending at once.")
    int connections;

    @Option(names = "--batch", defaultValue = "64", description = "Frames per write.")
    int batch;

    @Option(names = "--frames-per-connection", defaultValue = "400",
            description = "In-step frames a connection sends (between half and all of this) before it ends with "
                    + "one out-of-step frame (length lie, truncation, splice or junk) and reconnects.")
    int framesPerConnection;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (connection i uses seed + i).")
    long seed;

    @Option(names = "--vectors", paramLabel = "FILE",
            description = "vectors.json to build frames from (default: the copy inside this tool).")
    Path vectors;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private final AtomicLong connectFailures = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong replies = new AtomicLong();
    private final AtomicLong errorReplies = new AtomicLong();
    private final long[] mutationCounts = new long[Mutation.values().length];

    @Override
    BenchResult execute(long deadline) throws Exception {
        if (frames < 1 || connections < 1 || batch < 1) {
            throw new IllegalArgumentException("--frames, --connections and --batch must be positive");
        }
        BenchResult r = new BenchResult("fuzz");
        var p = r.parameters();
        p.put("target", target.describe());
        p.put("frames", frames);
        p.put("connections", connections);
        p.put("batch", batch);
        p.put("seed", seed);
        List<byte[]> seeds = seeds(vectors);
        p.put("seedFrames", seeds.size());
        ClientConfig config = target.builder().build();
        SslContext ssl = config.plaintext() ? null : ClientTls.context(config);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        AtomicLong remaining = new AtomicLong(frames);
        long receivedBefore = framesReceived(config);
        long start = System.nanoTime();
        try {
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                long s = seed + i;
                Thread t = new Thread(() -> sendLoop(group, ssl, config, seeds, new SplittableRandom(s), remaining,
                        deadline), "fuzz-" + i);
                t.start();
                workers.add(t);
            }
            for (Thread t : workers) {
                t.join();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        var out = r.json().putObject("fuzz");
        out.put("framesSent", sent.get());
        out.put("bytesSent", bytes.get());
        out.put("seconds", BenchResult.round(seconds, 2));
        out.put("framesPerSecond", BenchResult.round(sent.get() / Math.max(seconds, 1e-9), 0));
        out.put("connectionsOpened", opened.get());
        out.put("connectionsClosedByServer", closedByServer.get());
        out.put("connectFailures", connectFailures.get());
        out.put("stalledConnections", stalls.get());
        out.put("replyFrames", replies.get());
        out.put("errorReplies", errorReplies.get());
        var m = out.putObject("mutations");
        synchronized (mutationCounts) {
            for (Mutation mu : Mutation.values()) {
                m.put(mu.name().toLowerCase(java.util.Locale.ROOT), mutationCounts[mu.ordinal()]);
            }
        }
        r.line("sent %,d frames (%,d bytes) in %.1f s over %,d connections (%,d closed by the server, %,d connect "
                        + "failures); %,d replies, %,d of them ERROR", sent.get(), bytes.get(), seconds, opened.get(),
                closedByServer.get(), connectFailures.get(), replies.get(), errorReplies.get());
        if (sent.get() == 0) {
            r.fail("no frame could be sent");
        }
        if (sent.get() < frames) {
            r.fail("sent only " + sent.get() + " of " + frames + " frames before --max-seconds");
        }
        List<String> problems = verify(config);
        long receivedAfter = framesReceived(config);
        if (receivedBefore >= 0 && receivedAfter >= 0) {
            // STATS messagesReceived: frames the server decoded, including the check's own few.
            out.put("framesDecodedByServer", receivedAfter - receivedBefore);
            r.line("the server decoded %,d frames (STATS messagesReceived) while %,d were sent",
                    receivedAfter - receivedBefore, sent.get());
        }
        out.put("verified", problems.isEmpty());
        if (problems.isEmpty()) {
            r.line("afterwards the server answered ECHO, DOUBLE, NEGATE, UPLOAD, QUERY, SEARCH and STATS correctly");
        }
        for (String problem : problems) {
            r.fail("after fuzzing: " + problem);
        }
        return r;
    }

    /**
     * One sender. Each connection: in-step mutated frames in batches, an ECHO sentinel whose
     * answer shows the server has read them all, then one out-of-step frame; the server then
     * usually closes (a fatal error), else the sender does after a second.
     */
    private void sendLoop(EventLoopGroup group, SslContext ssl, ClientConfig config, List<byte[]> seeds,
                          SplittableRandom rnd, AtomicLong remaining, long deadline) {
        try {
            while (remaining.get() > 0 && System.nanoTime() < deadline) {
                Sentinel sentinel = new Sentinel();
                Channel ch = connect(group, ssl, config, sentinel);
                if (ch == null) {
                    connectFailures.incrementAndGet();
                    Thread.sleep(20); // e.g. over the server's handshake rate: back off a little
                    continue;
                }
                opened.incrementAndGet();
                try {
                    int life = framesPerConnection / 2 + rnd.nextInt(Math.max(1, framesPerConnection / 2 + 1));
                    while (life > 0 && ch.isActive() && System.nanoTime() < deadline) {
                        if (!awaitWritable(ch, deadline)) {
                            stalls.incrementAndGet();
                            break;
                        }
                        int n = take(remaining, Math.min(batch, life));
                        if (n <= 0) {
                            life = 0;
                            break;
                        }
                        ByteBuf buf = ch.alloc().buffer();
                        for (int i = 0; i < n; i++) {
                            buf.writeBytes(inStep(mutate(seeds, rnd, Mutation.IN_STEP)));
                        }
                        life -= n;
                        int size = buf.readableBytes();
                        dump(ch, buf);
                        ch.writeAndFlush(buf).addListener(f -> { // no wait: writability is the back-pressure
                            if (f.isSuccess()) {
                                sent.addAndGet(n);
                                bytes.addAndGet(size);
                            } else {
                                remaining.addAndGet(n);
                            }
                        });
                    }
                    if (!ch.isActive()) {
                        closedByServer.incrementAndGet(); // an in-step frame was fatal (e.g. a bad HELLO)
                        continue;
                    }
                    // The sentinel's answer means every frame before it was read and decoded.
                    ByteBuf echo = ch.alloc().buffer(14).writeInt(10).writeShort(0x0003).writeInt(SENTINEL_STREAM)
                            .writeInt(0x5e47_14e1);
                    write(ch, echo, 0);
                    ch.closeFuture().addListener(f -> sentinel.latch.countDown());
                    if (!sentinel.latch.await(30, TimeUnit.SECONDS)) {
                        stalls.incrementAndGet();
                        continue;
                    }
                    if (!ch.isActive()) {
                        closedByServer.incrementAndGet(); // a fatal in-step frame, e.g. HELLO with a bad version
                        continue;
                    }
                    if (take(remaining, 1) == 1) {
                        ByteBuf last = ch.alloc().buffer();
                        last.writeBytes(mutate(seeds, rnd, Mutation.OUT_OF_STEP));
                        write(ch, last, 1);
                        if (ch.closeFuture().await(1, TimeUnit.SECONDS)) {
                            closedByServer.incrementAndGet();
                        }
                    }
                } finally {
                    ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Takes up to {@code n} frames from the budget; returns how many. */
    private static int take(AtomicLong remaining, int n) {
        while (true) {
            long left = remaining.get();
            int got = (int) Math.min(left, n);
            if (got <= 0 || remaining.compareAndSet(left, left - got)) {
                return Math.max(0, got);
            }
        }
    }

    /**
     * Keeps an in-step frame from closing the connection the one way a well-framed request can:
     * a HELLO whose version is not 1 (UNSUPPORTED_VERSION is fatal). Out-of-step frames keep it.
     */
    static byte[] inStep(byte[] f) {
        if (f.length >= 12 && f[4] == 0 && f[5] == 0x08) {
            f[10] = 0;
            f[11] = 1;
        }
        return f;
    }

    /** Writes {@code buf} holding {@code frames} frames; counts them if the write succeeded. */
    private boolean write(Channel ch, ByteBuf buf, int frames) throws InterruptedException {
        int size = buf.readableBytes();
        dump(ch, buf);
        ChannelFuture f = ch.writeAndFlush(buf);
        if (!f.await(10, TimeUnit.SECONDS) || !f.isSuccess()) {
            return false;
        }
        sent.addAndGet(frames);
        bytes.addAndGet(size);
        return true;
    }

    /** With FUZZ_DUMP=DIR set, appends what is written to DIR/c<channel id> (to replay a finding). */
    private static void dump(Channel ch, ByteBuf buf) {
        String dir = System.getenv("FUZZ_DUMP");
        if (dir == null) {
            return;
        }
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        try {
            Files.write(Path.of(dir, "c" + ch.id().asShortText()), b, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Released when the server answers the sentinel ECHO. */
    private static final class Sentinel {
        final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);
    }

    private boolean awaitWritable(Channel ch, long deadline) throws InterruptedException {
        long until = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        while (ch.isActive() && !ch.isWritable()) {
            if (System.nanoTime() > until) {
                return false;
            }
            Thread.sleep(1); // the server stops reading while it has work in flight; wait for it
        }
        return true;
    }

    private Channel connect(EventLoopGroup group, SslContext ssl, ClientConfig config, Sentinel sentinel)
            throws InterruptedException {
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        if (ssl != null) {
                            c.pipeline().addLast(ssl.newHandler(c.alloc(),
                                    config.serverName() != null ? config.serverName() : config.host(), config.port()));
                        }
                        c.pipeline().addLast(new FrameDecoder(FrameDecoder.LARGEST_MAX_FRAME_LENGTH));
                        c.pipeline().addLast(new SimpleChannelInboundHandler<Frame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
                                if (f.streamId() == SENTINEL_STREAM && f.opcode() == 0x8003) {
                                    sentinel.latch.countDown();
                                    return;
                                }
                                replies.incrementAndGet();
                                if (f.opcode() == 0xFFFF) {
                                    errorReplies.incrementAndGet();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close(); // resets, TLS alerts: the sender reconnects
                            }
                        });
                    }
                });
        ChannelFuture f = b.connect(config.host(), config.port());
        if (!f.await(10, TimeUnit.SECONDS) || !f.isSuccess()) {
            f.channel().close();
            return null;
        }
        Channel c = f.channel();
        if (ssl != null) {
            var hs = c.pipeline().get(SslHandler.class).handshakeFuture();
            if (!hs.await(10, TimeUnit.SECONDS) || !hs.isSuccess()) {
                c.close();
                return null;
            }
        }
        return c;
    }

    /** One frame: a vector frame, mutated with one of {@code choices}. */
    byte[] mutate(List<byte[]> seeds, SplittableRandom rnd, Mutation[] choices) {
        byte[] f = seeds.get(rnd.nextInt(seeds.size())).clone();
        Mutation m = choices[rnd.nextInt(choices.length)];
        synchronized (mutationCounts) {
            mutationCounts[m.ordinal()]++;
        }
        switch (m) {
            case BIT_FLIP: { // anywhere but the length field
                int flips = 1 + rnd.nextInt(3);
                for (int i = 0; i < flips && f.length > 4; i++) {
                    int bit = 32 + rnd.nextInt((f.length - 4) * 8);
                    f[bit / 8] ^= (byte) (1 << (bit % 8));
                }
                return f;
            }
            case RANDOM_STREAM:
                if (f.length >= 10) {
                    int stream = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt();
                    f[6] = (byte) (stream >>> 24);
                    f[7] = (byte) (stream >>> 16);
                    f[8] = (byte) (stream >>> 8);
                    f[9] = (byte) stream;
                }
                return f;
            case LENGTH_LIE: {
                if (f.length < 4) {
                    return f;
                }
                long real = f.length - 4L;
                long lie;
                switch (rnd.nextInt(4)) {
                    case 0: lie = Math.max(0, real + rnd.nextInt(-8, 9)); break;
                    case 1: lie = rnd.nextInt(0, 6); break;               // below the header
                    case 2: lie = 16L * 1024 * 1024 + rnd.nextInt(1, 1000); // above the default maximum
                        break;
                    default: lie = rnd.nextLong(0, 1L << 32); break;
                }
                f[0] = (byte) (lie >>> 24);
                f[1] = (byte) (lie >>> 16);
                f[2] = (byte) (lie >>> 8);
                f[3] = (byte) lie;
                return f;
            }
            case TRUNCATE:
                return Arrays.copyOf(f, rnd.nextInt(f.length + 1));
            case SPLICE: {
                byte[] g = seeds.get(rnd.nextInt(seeds.size()));
                int cut = rnd.nextInt(f.length + 1);
                int from = rnd.nextInt(g.length + 1);
                byte[] out = Arrays.copyOf(f, cut + g.length - from);
                System.arraycopy(g, from, out, cut, g.length - from);
                return out;
            }
            case RANDOM_OPCODE:
                if (f.length >= 6) {
                    int op = rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(0, 16)
                            | (rnd.nextBoolean() ? 0 : 0x8000);
                    f[4] = (byte) (op >>> 8);
                    f[5] = (byte) op;
                }
                return f;
            case RANDOM_BODY:
                for (int i = 10; i < f.length; i++) {
                    f[i] = (byte) rnd.nextInt(256);
                }
                return f;
            case RANDOM_BYTES: {
                byte[] junk = new byte[rnd.nextInt(1, 64)];
                for (int i = 0; i < junk.length; i++) {
                    junk[i] = (byte) rnd.nextInt(256);
                }
                return junk;
            }
            default:
                return f;
        }
    }

    /** The frames of the vectors, well-formed and invalid (the fatal ones are what LENGTH_LIE makes). */
    static List<byte[]> seeds(Path file) throws IOException {
        JsonNode root;
        ObjectMapper mapper = new ObjectMapper();
        if (file != null) {
            root = mapper.readTree(Files.readAllBytes(file));
        } else {
            try (InputStream in = FuzzCommand.class.getResourceAsStream("/vectors.json")) {
                if (in == null) {
                    throw new IOException("vectors.json is not inside this build; give --vectors FILE");
                }
                root = mapper.readTree(in);
            }
        }
        List<byte[]> out = new ArrayList<>();
        for (String section : new String[] {"frames", "invalidRequests"}) {
            JsonNode a = root.get(section);
            if (a != null) {
                a.forEach(v -> out.add(HexFormat.of().parseHex(v.get("hex").asText())));
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no frames in the vectors");
        }
        return out;
    }

    /** STATS {@code messagesReceived}, or -1 if it cannot be read. */
    private static long framesReceived(ClientConfig config) {
        try (LogwireClient c = LogwireClient.connect(config)) {
            return new ObjectMapper().readTree(c.sync().stats()).path("messagesReceived").asLong(-1);
        } catch (RuntimeException | IOException e) {
            return -1;
        }
    }

    /** Every well-formed request on a fresh connection, with the answers checked. */
    private static List<String> verify(ClientConfig config) {
        List<String> problems = new ArrayList<>();
        try (LogwireClient c = LogwireClient.connect(config)) {
            LogwireClient.Sync s = c.sync();
            byte[] payload = "fuzz-check".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            check(problems, "ECHO", Arrays.equals(s.echo(payload), payload));
            check(problems, "DOUBLE", s.doubleValue(21) == 42);
            check(problems, "NEGATE", s.negate(7) == -7);
            String marker = "fuzz-" + UUID.randomUUID();
            List<LogEntry> entries = List.of(
                    new LogEntry(marker, "10.0.0.1", 443, 1, 2, 3, 0.5f, "srv-a"),
                    new LogEntry(marker, "10.0.0.2", 80, 4, 5, 6, 1.5f, "srv-b"));
            var up = s.upload(entries);
            check(problems, "UPLOAD", up.stored() == entries.size());
            try (RowStream rows = c.query("username = \"" + marker + "\"", 0)) {
                check(problems, "QUERY", rows.stream().toList().equals(entries));
            }
            try (RowStream rows = c.search(marker, 0)) {
                check(problems, "SEARCH", rows.stream().toList().equals(entries));
            }
            String stats = s.stats();
            check(problems, "STATS", stats.contains("\"messagesReceived\""));
        } catch (RuntimeException e) {
            problems.add("request failed: " + e);
        }
        return problems;
    }

    private static void check(List<String> problems, String what, boolean ok) {
        if (!ok) {
            problems.add(what + " gave a wrong answer");
        }
    }
}
