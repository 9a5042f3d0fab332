package io.logwire.server.store;

import io.logwire.server.store.clickhouse.ClickHouseConfig;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The two-shard ClickHouse cluster of {@code scripts/clickhouse-dev-cluster.sh} for tests. Its
 * HTTP URLs come from the system property or environment variable
 * {@code LOGWIRE_TEST_CLICKHOUSE_URLS} (comma-separated), by default the script's ports.
 * Tests that need it call {@link #assumeRunning()}: without the cluster they are skipped with
 * a reason naming the script; {@code .ci/run} starts it, so there they run.
 */
public final class ClickHouseTestCluster {
    public static final String CLUSTER = "logwire_dev";
    private static final String DEFAULT_URLS = "http://127.0.0.1:18123,http://127.0.0.1:18124";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ClickHouseTestCluster() {
    }

    /** Shard HTTP URLs, shard 1 first. */
    public static List<URI> urls() {
        String v = System.getProperty("LOGWIRE_TEST_CLICKHOUSE_URLS", System.getenv("LOGWIRE_TEST_CLICKHOUSE_URLS"));
        return ClickHouseConfig.parseUrls(v == null || v.isBlank() ? DEFAULT_URLS : v);
    }

    /** Skips the calling test unless both shards answer. */
    public static void assumeRunning() {
        for (URI u : urls()) {
            Assumptions.assumeTrue(ping(u), "ClickHouse dev cluster not running at " + u
                    + ": start it with scripts/clickhouse-dev-cluster.sh start (.ci/run does)");
        }
    }

    public static boolean ping(URI u) {
        try {
            return HTTP.send(HttpRequest.newBuilder(u.resolve("ping")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A fresh database name, so tests never see each other's rows. */
    public static String freshDatabase() {
        byte[] b = new byte[6];
        ThreadLocalRandom.current().nextBytes(b);
        return "lwtest_" + HexFormat.of().formatHex(b);
    }

    /** Store settings on the whole cluster in {@code database}. */
    public static ClickHouseConfig.Builder config(String database) {
        return ClickHouseConfig.builder(urls()).database(database).cluster(CLUSTER)
                .connectTimeout(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(20))
                .healthInterval(Duration.ofMillis(200));
    }

    /** Runs {@code sql} on one server and returns its text answer (fails on an error). */
    public static String query(URI u, String sql) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse " + u + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Drops {@code database} on every shard that answers. */
    public static void drop(String database) {
        for (URI u : urls()) {
            if (ping(u)) {
                query(u, "DROP DATABASE IF EXISTS " + database);
            }
        }
    }

    /** Runs the dev-cluster script with {@code args} (e.g. stop-shard 2) and waits for it. */
    public static void script(String... args) throws IOException, InterruptedException {
        Process p = scriptAsync(args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("clickhouse-dev-cluster.sh " + String.join(" ", args) + " failed: " + out);
        }
    }

    /** Starts the dev-cluster script with {@code args} without waiting (output merged into its stdout). */
    public static Process scriptAsync(String... args) throws IOException {
        Path script = Path.of("..", "scripts", "clickhouse-dev-cluster.sh").toAbsolutePath().normalize();
        if (!Files.exists(script)) {
            script = Path.of("scripts", "clickhouse-dev-cluster.sh").toAbsolutePath();
        }
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = script.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }
}
