package io.logwire.client.cli;

import io.logwire.client.support.FakeV2Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The version-2 CLI commands through {@link Main#run} against the scripted {@link FakeV2Server}. */
class V2CliTest {
    @TempDir
    Path dir;
    FakeV2Server server;

    record Result(int code, String out, String err) {
    }

    @BeforeEach
    void start() {
        server = FakeV2Server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Result run(String... args) {
        return runWithInput("", args);
    }

    Result runWithInput(String stdin, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--host";
        all[1] = "127.0.0.1";
        all[2] = "--port";
        all[3] = Integer.toString(server.port());
        System.arraycopy(args, 0, all, 4, args.length);
        String[] withPlain = new String[all.length + 1];
        System.arraycopy(all, 0, withPlain, 0, all.length);
        withPlain[all.length] = "--plaintext";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(withPlain, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err,
                false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path csv(int n) throws IOException {
        StringBuilder sb = new StringBuilder("username,IP,port,accessTime,dataSent,dataReceived,score,server\n");
        for (int i = 0; i < n; i++) {
            sb.append(i % 3 == 0 ? "amy" : "bob").append(",10.0.0.").append(i % 250).append(',').append(8000 + i % 10)
                    .append(',').append(1000 + i).append(',').append(100 * (i % 7)).append(",5,0.5,web").append('\n');
        }
        Path p = dir.resolve("in.csv");
        Files.writeString(p, sb);
        return p;
    }

    @Test
    void uploadIsExactlyOnceThroughLostAcknowledgements() throws IOException {
        Path in = csv(5_000);
        server.loseAcks.set(3);
        Result r = run("upload", in.toString(), "--batch-size", "500", "--compress", "zstd");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("uploaded 5000 entries");
        assertThat(r.err()).contains("retried");
        assertThat(server.stored()).isEqualTo(5_000);
        assertThat(server.compressedIn.get()).isPositive();
    }

    @Test
    void noDedupUsesPlainUpload() throws IOException {
        Result r = run("upload", csv(10).toString(), "--no-dedup");
        // The fake implements only UPLOAD_ONCE: plain UPLOAD is refused, which shows the option is honoured.
        assertThat(r.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(r.err()).contains("UNKNOWN_OPCODE");
    }

    @Test
    void queryFromPagesAndTellsWhereToContinue() throws IOException {
        assertThat(run("upload", csv(250).toString()).code()).isZero();
        Result r = run("query", "username=amy", "--from", "100", "--page-size", "20", "--format", "csv");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().count()).isEqualTo(1 + 50); // header + amy rows at 102, 105, ..., 249
        assertThat(r.err()).contains("50 rows in 3 pages; continue with --from 250");
    }

    @Test
    void aggPrintsAnAlignedTableCsvAndJson() throws IOException {
        assertThat(run("upload", csv(300).toString()).code()).isZero();
        Result t = run("agg", "| count, sum(dataSent) by username top 10");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).isEqualTo("""
                username  count  sum(dataSent)
                --------  -----  -------------
                bob         200          60000
                amy         100          29700
                (2 rows)
                """);
        Result c = run("agg", "| count by username", "--format", "csv");
        assertThat(c.out()).isEqualTo("username,count\nbob,200\namy,100\n");
        Result j = run("agg", "| count", "-f", "json");
        assertThat(j.out().strip()).isEqualTo("{\"columns\":[\"count\"],\"rows\":[[300]]}");
        Result bad = run("agg", "| sum(username)");
        assertThat(bad.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(bad.err()).contains("INVALID_QUERY");
    }

    @Test
    void tailFollowsAndSurvivesDisconnects() throws Exception {
        assertThat(run("upload", csv(10).toString()).code()).isZero();
        CompletableFuture<Result> tail = CompletableFuture.supplyAsync(
                () -> run("tail", "", "--from", "5", "-n", "25", "-f", "csv", "--max-backoff", "100ms"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.connections.get() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(200);
        server.dropConnections();
        assertThat(run("upload", csv(10).toString()).code()).isZero();
        Thread.sleep(300);
        server.dropConnections();
        assertThat(run("upload", csv(10).toString()).code()).isZero();
        Result r = tail.get(30, TimeUnit.SECONDS);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().count()).isEqualTo(1 + 25); // 5 stored + 20 new
        assertThat(r.err()).contains("resuming from sequence");
    }

    @Test
    void tailWritesRowsOutOncePerBurstNotPerRow() throws Exception {
        assertThat(run("upload", csv(3_000).toString()).code()).isZero();
        // Counts what reaches the output stream: each flush of the CLI's buffered writer is one write.
        int[] writes = {0};
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes[0]++;
                super.write(b, off, len);
            }
        };
        int code = Main.run(new String[] {"--host", "127.0.0.1", "--port", Integer.toString(server.port()),
                "--plaintext", "tail", "", "--from", "0", "-n", "3000", "-f", "csv"},
                new ByteArrayInputStream(new byte[0]), out, new ByteArrayOutputStream(), false);
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).lines().count()).isEqualTo(1 + 3_000);
        assertThat(writes[0]).as("writes for 3,000 rows").isLessThan(300);
    }

    @Test
    void theShellAggregatesAndTails() throws Exception {
        assertThat(run("upload", csv(30).toString()).code()).isZero();
        // The shell's tail follows entries stored from now on: upload 3 more once it has subscribed.
        int base = server.connections.get();
        CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (server.connections.get() < base + 2 && System.nanoTime() < deadline) { // shell + tail
                    Thread.sleep(10);
                }
                Thread.sleep(300);
                assertThat(run("upload", csv(3).toString()).code()).isZero();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Result r = runWithInput("agg | count by username\n11\n| count\ntail -n 3\nquit\n",
                "shell", "--history", dir.resolve("history").toString());
        later.get(20, TimeUnit.SECONDS);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("username  count\n--------  -----\nbob          20\namy          10\n(2 rows)");
        assertThat(r.out()).contains("count\n-----\n   30\n(1 row)");
        assertThat(r.out()).contains("(following; Ctrl-C stops or after 3 entries)");
        assertThat(r.out()).contains("(3 rows)");
    }
}
