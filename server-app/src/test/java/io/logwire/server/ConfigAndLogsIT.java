package io.logwire.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged server in a child JVM with real environment variables and a configuration
 * file: every line it prints with {@code --log-format json} (set in the environment) is one
 * JSON object; the start-up line shows each layer; TLS connections are in the connection log.
 */
class ConfigAndLogsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void jsonLogsFromARealServerWithEveryLayer() throws Exception {
        Path config = dir.resolve("logwire.toml");
        Files.writeString(config, "bind = \"127.0.0.1\"\nfsync = \"never\"\nidle-timeout = \"2s\"\n"
                + "shutdown-timeout = \"10s\"\n");
        Path data = dir.resolve("data");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", ServerProcess.jar().toString(), "--port", "0", "--data-dir", data.toString());
        // Output to a file: reading a pipe while the process exits can fail with "Stream closed".
        Path output = dir.resolve("server.out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("LOGWIRE_"));
        env.put("LOGWIRE_CONFIG", config.toString());
        env.put("LOGWIRE_LOG_FORMAT", "json");
        env.put("LOGWIRE_FSYNC", "batch");
        Process p = pb.start();
        Supplier<List<String>> lines = () -> {
            try {
                return Files.readAllLines(output, StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try {
            int port = Integer.parseInt(await(lines, l -> LISTENING.matcher(l).find(), m -> {
                Matcher x = LISTENING.matcher(m);
                x.find();
                return x.group(1);
            }));
            Path cert = data.resolve("tls").resolve("server.crt");
            try (TestClient c = TestClient.connect(port, cert)) {
                c.send(new Request.NegateValue(1, 3));
                assertThat(c.next()).isEqualTo(new Reply.NegateOk(1, -3));
            }
            try (TestClient c = TestClient.connect(port, cert)) {
                assertThat(c.awaitClosed(10_000)).isTrue(); // idle-timeout from the file
            }
            await(lines, l -> l.contains("idle timeout"), l -> l);
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }

        List<JsonNode> events = new ArrayList<>();
        for (String line : lines.get()) {
            JsonNode n = JSON.readTree(line); // throws if a line is not JSON
            assertThat(n.isObject()).as(line).isTrue();
            assertThat(n.get("level").asText()).isIn("INFO", "WARN", "ERROR", "DEBUG");
            events.add(n);
        }
        assertThat(events).hasSizeGreaterThanOrEqualTo(5);

        String effective = events.stream().map(e -> e.get("formattedMessage").asText())
                .filter(m -> m.startsWith("effective configuration: ")).findFirst().orElseThrow();
        assertThat(effective).contains("fsync=\"batch\" (env LOGWIRE_FSYNC)")
                .contains("bind=\"127.0.0.1\" (file " + config + ":1)")
                .contains("idle-timeout=\"2s\" (file " + config + ":3)")
                .contains("port=0 (flag --port)")
                .contains("log-format=\"json\" (env LOGWIRE_LOG_FORMAT)")
                .contains("max-in-flight=64 (default)");

        List<Map<String, String>> connections = new ArrayList<>();
        for (JsonNode e : events) {
            if (e.get("loggerName").asText().endsWith("ConnectionLog")
                    && e.get("formattedMessage").asText().equals("connection closed")) {
                Map<String, String> fields = new HashMap<>();
                e.get("kvpList").forEach(kv -> kv.fields().forEachRemaining(f -> fields.put(f.getKey(),
                        f.getValue().asText())));
                connections.add(fields);
            }
        }
        assertThat(connections).hasSize(2);
        assertThat(connections.get(0)).containsEntry("listener", "main").containsEntry("client", "-")
                .containsEntry("requests", "1").containsEntry("reason", "client closed");
        assertThat(connections.get(0).get("tls")).startsWith("TLSv1.");
        assertThat(connections.get(0).get("cipher")).startsWith("TLS_");
        assertThat(connections.get(1)).containsEntry("reason", "idle timeout").containsEntry("requests", "0");
    }

    private static String await(Supplier<List<String>> lines, Predicate<String> match,
                                java.util.function.Function<String, String> extract) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (String l : lines.get()) {
                if (match.test(l)) {
                    return extract.apply(l);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not seen in the server output:\n" + String.join("\n", lines.get()));
    }
}
