package io.logwire.bench;

import io.logwire.client.ClientConfig;
import io.logwire.client.ClientResources;
import io.logwire.client.LogwireClient;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code connections}: opens N concurrent connections (TLS handshake + HELLO each), holds them
 * idle, and reports the handshake rate and the server's memory from STATS and /proc/PID/status.
 */
@Command(name = "connections", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Opens N concurrent (TLS) connections, holds them idle and reports the handshake rate and "
                + "the server's memory: STATS and, with --server-pid, VmRSS from /proc."})
final class ConnectionsCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = {"-n", "--count"}, defaultValue = "1000", description = "Connections to open.")
    int count;

    @Option(names = "--open-threads", defaultValue = "8", description = "Threads opening connections in parallel.")
    int openThreads;

    @Option(names = "--hold", defaultValue = "5", paramLabel = "S", description = "Seconds to hold them idle.")
    int hold;

    @Option(names = "--server-pid", paramLabel = "PID", description = "The server's PID, for VmRSS (same machine).")
    Long serverPid;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("connections");
        var p = r.parameters();
        p.put("target", target.describe());
        p.put("count", count);
        p.put("openThreads", openThreads);
        p.put("holdSeconds", hold);
        // One connection for STATS, opened first: with N at the server's limit a later one would be refused.
        LogwireClient statsClient = LogwireClient.connect(target.builder().build());
        ServerInfo before = ServerInfo.of(statsClient);
        long rssBefore = serverPid != null ? ServerInfo.rssKib(serverPid) : -1;
        ClientConfig config = target.builder().maxInFlight(4).build();
        List<LogwireClient> clients = Collections.synchronizedList(new ArrayList<>(count));
        Recorder connectLatency = new Recorder(1, 3_600_000_000L, 3);
        AtomicInteger next = new AtomicInteger();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        try (ClientResources resources = ClientResources.create(2)) {
            try {
                long t0 = System.nanoTime();
                List<Thread> openers = new ArrayList<>();
                for (int i = 0; i < openThreads; i++) {
                    Thread t = new Thread(() -> {
                        while (next.getAndIncrement() < count && System.nanoTime() < deadline) {
                            long s = System.nanoTime();
                            try {
                                clients.add(LogwireClient.connect(config, resources));
                                connectLatency.recordValue(Math.max(1, (System.nanoTime() - s) / 1000));
                            } catch (RuntimeException e) {
                                errors.incrementAndGet();
                                firstError.compareAndSet(null, e.getMessage());
                            }
                        }
                    }, "bench-opener-" + i);
                    openers.add(t);
                    t.start();
                }
                try (Progress pr = Progress.start(run.progress(), "connect", count, "", () -> clients.size(), () -> "")) {
                    for (Thread t : openers) {
                        t.join();
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                int open = clients.size();
                Histogram h = connectLatency.getIntervalHistogram();
                long holdUntil = Math.min(deadline, System.nanoTime() + hold * 1_000_000_000L);
                while (System.nanoTime() < holdUntil) {
                    Thread.sleep(100);
                }
                long rssWith = serverPid != null ? ServerInfo.rssKib(serverPid) : -1;
                ServerInfo with = ServerInfo.of(statsClient);
                long alive = clients.stream().filter(LogwireClient::isOpen).count();
                var o = r.json().putObject("connections");
                o.put("opened", open);
                o.put("aliveAfterHold", alive);
                o.put("seconds", BenchResult.round(seconds, 3));
                o.put("handshakesPerSecond", Math.round(open / seconds));
                o.put("serverConnectionsOpen", with.connectionsOpen()); // includes the STATS connection
                o.put("serverRssKibBefore", rssBefore);
                o.put("serverRssKibWith", rssWith);
                if (rssBefore > 0 && rssWith > 0 && open > 0) {
                    o.put("serverKibPerConnection", BenchResult.round((rssWith - rssBefore) / (double) open, 1));
                }
                o.put("serverStatsBefore", before.stats());
                o.put("serverStatsWith", with.stats());
                BenchResult.latency(r.json().putObject("connectLatency"), h);
                r.json().put("errors", errors.get());
                r.line("connections: %,d of %,d opened (%s + HELLO) in %.2f s = %,.0f handshakes/s with %d threads; "
                                + "%,d still open after %d s idle; server reports %,d open (with the STATS one)",
                        open, count, target.plaintext ? "TCP" : "TLS", seconds, open / seconds, openThreads, alive, hold,
                        with.connectionsOpen());
                r.line("%s", BenchResult.latencyLine("connect latency", h));
                if (serverPid != null) {
                    r.line("server RSS: %,d MiB before, %,d MiB with the connections (%.1f KiB per connection)",
                            rssBefore / 1024, rssWith / 1024, (rssWith - rssBefore) / (double) Math.max(1, open));
                } else {
                    r.line("server RSS: give --server-pid to read it from /proc");
                }
                if (errors.get() > 0) {
                    r.fail(errors.get() + " connections failed, first: " + firstError.get());
                }
                if (alive < open) {
                    r.fail((open - alive) + " connections closed while idle");
                }
                if (open < count && errors.get() == 0) {
                    r.fail("stopped by --max-seconds after " + open + " connections");
                }
            } finally {
                synchronized (clients) {
                    clients.forEach(LogwireClient::close);
                }
                statsClient.close();
            }
        }
        return r;
    }
}
