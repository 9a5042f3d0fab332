package io.logwire.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logwire.client.ClientConfig;
import io.logwire.client.ClientResources;
import io.logwire.client.LogwireClient;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code echo}: ECHO request latency. Open loop ({@code --rate R}): request k is due at
 * {@code start + k/R} and its latency is measured from that intended time, so a stall shows
 * up in every request it delays (no coordinated omission). Closed loop ({@code --rate 0}):
 * {@code --concurrency} requests outstanding per connection, each sent when one returns.
 */
@Command(name = "echo", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"ECHO latency: open loop at a fixed rate (latency from the intended send time) or closed loop."})
final class EchoCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = "--rate", defaultValue = "10000", description = "Requests/s in total (open loop); 0 = closed loop.")
    int rate;

    @Option(names = {"-c", "--connections"}, defaultValue = "1")
    int connections;

    @Option(names = "--concurrency", defaultValue = "1", description = "Closed loop: requests outstanding per connection.")
    int concurrency;

    @Option(names = "--size", defaultValue = "64", description = "ECHO payload bytes.")
    int size;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "S", description = "Measured seconds.")
    int duration;

    @Option(names = "--warmup", defaultValue = "2", paramLabel = "S", description = "Unmeasured seconds first.")
    int warmup;

    private final Recorder latency = new Recorder(1, 3_600_000_000L, 3);
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    private volatile long measureFrom = Long.MAX_VALUE;
    private volatile long measureUntil = Long.MAX_VALUE;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("echo");
        var p = r.parameters();
        p.put("target", target.describe());
        p.put("mode", rate > 0 ? "open" : "closed");
        p.put("rate", rate);
        p.put("connections", connections);
        p.put("concurrency", concurrency);
        p.put("size", size);
        p.put("durationSeconds", duration);
        p.put("warmupSeconds", warmup);
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        ClientConfig config = target.builder().maxInFlight(rate > 0 ? 65_535 : Math.max(1, concurrency)).build();
        try (ClientResources resources = ClientResources.create(Math.min(connections, 2))) {
            List<LogwireClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    clients.add(LogwireClient.connect(config, resources));
                }
                long start = System.nanoTime();
                long from = start + warmup * 1_000_000_000L;
                long end = Math.min(deadline, from + duration * 1_000_000_000L);
                measureFrom = from;
                measureUntil = end;
                List<Thread> threads = new ArrayList<>();
                for (LogwireClient c : clients) {
                    if (rate > 0) {
                        threads.add(new Thread(() -> openLoop(c, payload, start, end, (double) rate / connections)));
                    } else {
                        for (int k = 0; k < concurrency; k++) {
                            threads.add(new Thread(() -> closedLoop(c, payload, end)));
                        }
                    }
                }
                threads.forEach(Thread::start);
                while (System.nanoTime() < from) {
                    Thread.sleep(10);
                }
                long t0 = from;
                try (Progress pr = Progress.start(run.progress(), "echo", duration, " s",
                        () -> (System.nanoTime() - t0) / 1_000_000_000L, () -> " " + done.get() + " requests")) {
                    for (Thread t : threads) {
                        t.join();
                    }
                }
                double seconds = (end - t0) / 1e9;
                Histogram h = latency.getIntervalHistogram();
                long n = done.get();
                ObjectNode tp = r.json().putObject("throughput");
                tp.put("requests", n);
                tp.put("seconds", BenchResult.round(seconds, 3));
                tp.put("requestsPerSecond", Math.round(n / seconds));
                tp.put("megabytesPerSecond", BenchResult.round(n * (double) size / seconds / 1e6, 2));
                BenchResult.latency(r.json().putObject("echoLatency"), h);
                r.json().put("errors", errors.get());
                r.line("echo %s loop: %,d requests of %d bytes due in %.2f s: %,.0f requests/s%s over %d connections",
                        rate > 0 ? "open" : "closed", n, size, seconds, n / seconds,
                        rate > 0 ? " (target " + rate + "/s)" : " (concurrency " + concurrency + " per connection)",
                        connections);
                r.line("%s", BenchResult.latencyLine(rate > 0 ? "echo latency from intended send time" : "echo latency", h));
                if (errors.get() > 0) {
                    r.fail(errors.get() + " echo errors");
                }
                if (rate > 0 && h.getTotalCount() > 0 && h.getValueAtPercentile(50) > 1_000_000) {
                    r.line("note: the median request waited over a second past its due time: the server (or this "
                            + "client) cannot keep up with %,d requests/s; lower --rate", rate);
                }
            } finally {
                clients.forEach(LogwireClient::close);
            }
        }
        return r;
    }

    private void openLoop(LogwireClient c, byte[] payload, long start, long end, double perSecond) {
        double periodNs = 1e9 / perSecond;
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (long k = 0; ; k++) {
            long intended = start + (long) (k * periodNs);
            if (intended >= end) {
                break;
            }
            long now;
            while ((now = System.nanoTime()) < intended) {
                LockSupport.parkNanos(intended - now);
            }
            pending.add(c.echo(payload).whenComplete((b, t) -> record(intended, t)));
            if (pending.size() > 10_000) {
                pending.removeIf(CompletableFuture::isDone);
            }
        }
        awaitAll(pending);
    }

    private void closedLoop(LogwireClient c, byte[] payload, long end) {
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            try {
                c.echo(payload).get(60, TimeUnit.SECONDS);
                record(t0, null);
            } catch (Exception e) {
                record(t0, e);
            }
        }
    }

    /** Counts a request whose (intended) send time {@code from} lies in the measured window. */
    private void record(long from, Throwable t) {
        if (from < measureFrom || from >= measureUntil) { // warm-up
            return;
        }
        if (t != null) {
            errors.incrementAndGet();
            return;
        }
        latency.recordValue(Math.max(1, (System.nanoTime() - from) / 1000));
        done.incrementAndGet();
    }

    private static void awaitAll(List<CompletableFuture<?>> pending) {
        for (CompletableFuture<?> f : pending) {
            try {
                f.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // counted by record()
            }
        }
    }
}
