package io.logwire.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard and docs/operations.md against a real /metrics: every metric the
 * dashboard queries exists, and every logwire metric is documented.
 */
class MetricsDocumentationTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern METRIC = Pattern.compile("\\b((?:logwire|jvm|process|system)_[a-z0-9_]+)\\b(?!\\s*\\()");
    private static final Pattern BY = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");

    @TempDir
    Path dataDir;
    LogwireServer server;
    PrometheusText metrics;
    String text;

    @BeforeEach
    void scrapeAServerThatDidSomeWork() throws Exception {
        server = TestServers.start(dataDir, b -> b.metricsPort(ServerConfig.LISTENER_EPHEMERAL));
        try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
            c.send(MetricsEndpointTest.upload(1, 0, 10));
            assertThat(c.next()).isInstanceOf(Reply.UploadOk.class);
            c.send(new Request.Query(2, 0, "score>>"));
            assertThat(c.next()).isInstanceOf(Reply.Error.class);
        }
        MetricsEndpointTest.awaitGcPause(server); // so the GC pause timer has a sample
        var r = MetricsEndpointTest.get(server.metricsPort(), "/metrics");
        text = r.body();
        metrics = PrometheusText.parse(text);
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void everyMetricAndLabelTheDashboardUsesExists() throws Exception {
        Path file = REPO.resolve("docker/grafana/logwire-dashboard.json");
        JsonNode dashboard = new ObjectMapper().readTree(file.toFile());
        assertThat(dashboard.get("title").asText()).isEqualTo("logwire");
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.get("title").asText()).isNotBlank();
            for (JsonNode target : panel.get("targets")) {
                exprs.add(target.get("expr").asText());
            }
        }
        assertThat(exprs).hasSizeGreaterThan(15);
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Set<String> names = new TreeSet<>();
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                names.add(m.group(1));
            }
            assertThat(names).as("metrics in %s", expr).isNotEmpty();
            assertThat(metrics.names).as("metrics of %s on /metrics", expr).containsAll(names);
            Matcher by = BY.matcher(expr);
            while (by.find()) {
                for (String label : by.group(1).split(",")) {
                    String l = label.trim();
                    assertThat(names.stream().anyMatch(n -> hasLabel(n, l)))
                            .as("label %s of %s exists on %s", l, expr, names).isTrue();
                }
            }
            used.addAll(names);
        }
        assertThat(used).contains("logwire_requests_total", "logwire_upload_ack_seconds_bucket",
                "logwire_store_fsync_seconds_bucket", "logwire_tls_handshakes_total", "jvm_memory_used_bytes");
    }

    private boolean hasLabel(String name, String label) {
        return metrics.samples.keySet().stream().anyMatch(k -> k.startsWith(name + "{") && k.contains(label + "=\""));
    }

    @Test
    void everyLogwireMetricIsDocumentedInOperationsMd() throws Exception {
        String docs = Files.readString(REPO.resolve("docs/operations.md"));
        Set<String> families = new TreeSet<>();
        for (String name : metrics.names) {
            if (name.startsWith("logwire_")) {
                families.add(name.replaceAll("_(bucket|count|sum|max)$", ""));
            }
        }
        assertThat(families).contains("logwire_requests_total", "logwire_upload_ack_seconds",
                "logwire_store_group_commit_batches");
        for (String f : families) {
            assertThat(docs).as("docs/operations.md describes %s", f).contains("`" + f + "`");
        }
        for (String binder : new String[] {"jvm_memory_used_bytes", "jvm_gc_pause_seconds", "jvm_threads_live_threads",
                "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds", "process_files_open_files"}) {
            assertThat(docs).contains("`" + binder);
        }
    }
}
