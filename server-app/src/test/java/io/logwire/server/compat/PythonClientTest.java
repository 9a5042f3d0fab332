package io.logwire.server.compat;

import io.logwire.server.LogwireServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Python client written from PROTOCOL.md Appendix A alone (socket + struct + json, as the
 * tutorial's clients are: src/test/python/compat_client.py) against the real listeners.
 * Skipped when python3 is not installed.
 */
class PythonClientTest {
    static final Path SCRIPT = Path.of("src/test/python/compat_client.py");
    /** The interpreter itself, found once: wrappers such as pyenv's shims cost seconds a run. */
    static String python;

    @TempDir
    Path dataDir;
    LogwireServer server;

    @BeforeAll
    static void needsPython() {
        boolean present;
        try {
            Process p = new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            python = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && !python.isEmpty();
        } catch (IOException | InterruptedException e) {
            present = false;
        }
        Assumptions.assumeTrue(present, "python3 is not installed: skipping the Python client test");
        assertThat(SCRIPT).exists();
    }

    @BeforeEach
    void start() throws Exception {
        server = CompatTestSupport.start(dataDir, false, b -> { });
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    /** Runs the script; returns its stdout lines, failing on a non-zero exit. */
    List<String> python(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(python, SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(dataDir, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("python finished").isTrue();
        assertThat(p.exitValue()).as("exit code; stderr: %s", Files.readString(err)).isZero();
        return out.lines().toList();
    }

    @Test
    void tutorialStyleClientTalksToEveryListener() throws Exception {
        String host = "127.0.0.1";
        String legacy = String.valueOf(server.legacyPort());
        String cert = server.tls().certificate().toString();
        assertThat(python("upload", host, legacy, "--tls", cert)).containsExactly("uploaded 2 entries");
        assertThat(python("query", host, legacy, "port=443", "--tls", cert))
                .containsExactly("1 entries", "bob 10.0.0.2 443 1700000060 100 9000 0.90 web-02");
        assertThat(python("query", host, legacy, "", "--tls", cert)).hasSize(3).startsWith("2 entries");

        String app = String.valueOf(server.appPort());
        assertThat(python("search", host, app, "web")).containsExactly("2 entries match \"web\".");
        assertThat(python("search", host, app, "morpheus")).containsExactly("No match for \"morpheus\".");
        assertThat(python("double", host, app, "7654321")).containsExactly("result 15308642");
        assertThat(python("negate", host, app, "-300")).containsExactly("result 300");
        assertThat(python("double", host, app, "2147483647")).containsExactly("Error: integer overflow");

        assertThat(python("echo", host, String.valueOf(server.echoPort()), "Hello, world"))
                .containsExactly("Hello, world");
    }
}
