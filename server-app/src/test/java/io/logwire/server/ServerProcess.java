package io.logwire.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged server jar run as a separate JVM, for crash and signal tests. */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)");

    final Process process;
    final int port;
    final Path certificate;
    private final StringBuffer output = new StringBuffer();

    private ServerProcess(Process process, int port, Path certificate) {
        this.process = process;
        this.port = port;
        this.certificate = certificate;
    }

    static Path jar() {
        Path jar = Path.of("target", "logwire-server.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing; integration tests run after "
                    + "'mvn package' (mvn verify does both)");
        }
        return jar;
    }

    static ServerProcess start(Path dataDir, String... extraArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar().toString(), "--bind", "127.0.0.1", "--port", "0",
                "--data-dir", dataDir.toString(), "--shutdown-timeout", "10s"));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuffer out = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IllegalStateException("server exited before listening:\n" + out));
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            int actual = port.get(60, TimeUnit.SECONDS);
            ServerProcess sp = new ServerProcess(p, actual, dataDir.resolve("tls").resolve("server.crt"));
            sp.output.append(out);
            return sp;
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException("server did not start: " + e.getMessage() + "\n" + out, e);
        }
    }

    /** SIGKILL: no shutdown hook, no drain, no final fsync. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("server did not exit within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
