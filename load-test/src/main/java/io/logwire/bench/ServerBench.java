package io.logwire.bench;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A simple load harness for a running server: durable ingest over pipelined connections,
 * full-scan queries, and many idle TLS connections. Every run is bounded and stops itself.
 */
@Command(name = "server-bench", mixinStandardHelpOptions = true,
        subcommands = {ServerBench.Ingest.class, ServerBench.Query.class, ServerBench.Idle.class},
        description = "Measures a running logwire server.")
public final class ServerBench {
    public static void main(String[] args) {
        System.exit(new CommandLine(new ServerBench()).execute(args));
    }

    /** Connection options shared by every scenario. */
    static class Target {
        @Option(names = "--host", defaultValue = "127.0.0.1")
        String host;
        @Option(names = "--port", defaultValue = "12345")
        int port;
        @Option(names = "--ca", description = "PEM certificate to trust (the server's generated one)")
        Path ca;
        @Option(names = "--plaintext")
        boolean plaintext;

        SslContext ssl() throws Exception {
            if (plaintext) {
                return null;
            }
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2");
            if (ca != null) {
                b.trustManager(ca.toFile());
            }
            return b.build();
        }

        EventLoopGroup group(int threads) {
            return new MultiThreadIoEventLoopGroup(threads,
                    Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        }

        Class<? extends Channel> channelClass() {
            return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
        }
    }

    /** Deterministic entries of realistic size (about 60-70 bytes encoded). */
    static List<LogEntry> entries(Random r, int n, String server) {
        List<LogEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new LogEntry("user" + r.nextInt(100_000), "10." + r.nextInt(256) + "." + r.nextInt(256) + "."
                    + r.nextInt(256), r.nextInt(65536), 1_700_000_000L + r.nextInt(10_000_000),
                    r.nextInt(1 << 20), r.nextInt(1 << 24), r.nextFloat() * 100, server));
        }
        return out;
    }

    @Command(name = "ingest", description = "Durable uploads over pipelined connections.")
    static final class Ingest implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();
        @Option(names = "--connections", defaultValue = "8")
        int connections;
        @Option(names = "--batch", defaultValue = "1000")
        int batch;
        @Option(names = "--in-flight", defaultValue = "4", description = "Batches in flight per connection")
        int inFlight;
        @Option(names = "--entries", defaultValue = "2000000")
        long entries;
        @Option(names = "--seed", defaultValue = "1")
        long seed;
        @Option(names = "--max-seconds", defaultValue = "600")
        int maxSeconds;

        @Override
        public Integer call() throws Exception {
            SslContext ssl = target.ssl();
            EventLoopGroup group = target.group(Math.min(connections, 2));
            Random random = new Random(seed);
            // A few distinct pre-encoded batches per connection: the harness measures the server, not encoding.
            List<ByteBuf> batches = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                ByteBuf buf = Unpooled.directBuffer();
                LogEntryCodec.encodeAll(entries(random, batch, "bench-" + seed), buf);
                batches.add(buf);
            }
            long bytesPerBatch = batches.get(0).readableBytes();
            List<BenchConnection> conns = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                conns.add(BenchConnection.open(group, target.channelClass(), target.host, target.port, ssl));
            }
            long batchesTotal = entries / batch;
            AtomicLong issued = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            Recorder latency = new Recorder(3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
            long start = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (BenchConnection c : conns) {
                Thread t = new Thread(() -> {
                    Semaphore window = new Semaphore(inFlight);
                    int k = 0;
                    while (issued.incrementAndGet() <= batchesTotal && System.nanoTime() < deadline) {
                        window.acquireUninterruptibly();
                        int stream = c.nextStream();
                        long sent = System.nanoTime();
                        ByteBuf b = batches.get(k++ & 15).retainedDuplicate();
                        c.send(stream, new Request.Upload(stream, batch, b)).whenComplete((r, e) -> {
                            latency.recordValue((System.nanoTime() - sent) / 1000);
                            if (e != null || !(r instanceof Reply.UploadOk)) {
                                errors.incrementAndGet();
                            }
                            window.release();
                        });
                    }
                    window.acquireUninterruptibly(inFlight);
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long done = Math.min(issued.get() - connections, batchesTotal);
            Histogram h = latency.getIntervalHistogram();
            long n = h.getTotalCount() * batch;
            System.out.printf("ingest: %d entries in %.3f s = %.0f entries/s, %.1f MB/s, %d errors, "
                            + "%d connections x batch %d x in-flight %d, TLS %s%n",
                    n, seconds, n / seconds, n / (double) batch * bytesPerBatch / seconds / 1e6, errors.get(),
                    connections, batch, inFlight, ssl == null ? "off" : "on");
            System.out.printf("upload ack latency (us): p50 %d  p90 %d  p99 %d  p99.9 %d  max %d%n",
                    h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99),
                    h.getValueAtPercentile(99.9), h.getMaxValue());
            conns.forEach(BenchConnection::close);
            batches.forEach(ByteBuf::release);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return errors.get() == 0 && done >= 0 ? 0 : 1;
        }
    }

    @Command(name = "query", description = "Runs a filter over the whole store and reports the scan rate.")
    static final class Query implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();
        @Option(names = "--filter", defaultValue = "")
        String filter;
        @Option(names = "--repeat", defaultValue = "3")
        int repeat;
        @Option(names = "--stored", description = "Entries in the store (for the scan rate); default: from STATS",
                defaultValue = "-1")
        long stored;

        @Override
        public Integer call() throws Exception {
            EventLoopGroup group = target.group(1);
            try (BenchConnection c = BenchConnection.open(group, target.channelClass(), target.host, target.port,
                    target.ssl())) {
                long total = stored;
                if (total < 0) {
                    int s = c.nextStream();
                    Reply.StatsOk st = (Reply.StatsOk) c.send(s, new Request.Stats(s)).get(30, TimeUnit.SECONDS);
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"entriesStored\":(\\d+)")
                            .matcher(st.json());
                    total = m.find() ? Long.parseLong(m.group(1)) : 0;
                }
                for (int i = 0; i < repeat; i++) {
                    int s = c.nextStream();
                    AtomicLong rows = new AtomicLong();
                    long start = System.nanoTime();
                    Reply r = c.scan(s, new Request.Query(s, 0, filter), rr -> rows.addAndGet(rr.count()))
                            .get(600, TimeUnit.SECONDS);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf("query '%s': %d rows of %d entries in %.3f s = %.0f entries/s scanned (%s)%n",
                            filter, rows.get(), total, seconds, total / seconds, r);
                }
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            return 0;
        }
    }

    @Command(name = "idle", description = "Holds many idle TLS connections and reports the server's RSS.")
    static final class Idle implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();
        @Option(names = "--connections", defaultValue = "1000")
        int connections;
        @Option(names = "--server-pid", required = true)
        long pid;
        @Option(names = "--hold-seconds", defaultValue = "5")
        int hold;

        @Override
        public Integer call() throws Exception {
            EventLoopGroup group = target.group(2);
            SslContext ssl = target.ssl();
            long before = rssKb(pid);
            List<BenchConnection> conns = new ArrayList<>();
            long start = System.nanoTime();
            try {
                List<CompletableFuture<Void>> opening = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    conns.add(BenchConnection.open(group, target.channelClass(), target.host, target.port, ssl));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                Thread.sleep(hold * 1000L);
                long after = rssKb(pid);
                System.out.printf("idle: %d TLS connections opened in %.2f s (%.0f handshakes/s); server RSS %d MiB "
                                + "before, %d MiB with them (%.1f KiB per connection)%n", connections, seconds,
                        connections / seconds, before / 1024, after / 1024, (after - before) / (double) connections);
            } finally {
                conns.forEach(BenchConnection::close);
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            return 0;
        }

        private static long rssKb(long pid) throws Exception {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
            throw new IllegalStateException("no VmRSS for pid " + pid);
        }
    }
}
