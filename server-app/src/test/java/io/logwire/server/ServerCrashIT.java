package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 in the middle of uploads from several connections: after a restart every
 * acknowledged entry is present exactly once and no unacknowledged batch is half visible.
 * Also: SIGTERM drains and exits 0.
 */
class ServerCrashIT {
    private static final int CONNECTIONS = 4;
    private static final int BATCH = 200;

    @TempDir
    Path dataDir;

    @Test
    void acknowledgedUploadsSurviveKill9() throws Exception {
        Map<String, Long> acknowledged = new ConcurrentHashMap<>(); // batch marker -> firstSequence
        for (int round = 0; round < 3; round++) {
            // Round 1 with small segments: the kill lands among rolls, preallocated segment
            // files (zeros after the last record) and a next-segment file being written.
            String[] args = round == 1 ? new String[] {"--segment-size", "64KiB"} : new String[0];
            try (ServerProcess server = ServerProcess.start(dataDir, args)) {
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> writers = new ArrayList<>();
                List<Throwable> failures = new ArrayList<>();
                for (int c = 0; c < CONNECTIONS; c++) {
                    String prefix = "r" + round + "c" + c + "b";
                    Thread t = new Thread(() -> {
                        try (TestClient client = TestClient.connect(server.port, server.certificate)) {
                            for (int b = 0; !stop.get(); b++) {
                                String marker = prefix + b;
                                client.send(upload(marker));
                                Reply r = client.poll(5000);
                                if (r instanceof Reply.UploadOk ok) {
                                    acknowledged.put(marker, ok.firstSequence());
                                } else if (stop.get()) {
                                    return; // the server died while this batch was in flight
                                } else {
                                    throw new AssertionError("unexpected reply to " + marker + ": " + r);
                                }
                            }
                        } catch (Throwable e) {
                            if (!stop.get()) {
                                synchronized (failures) {
                                    failures.add(e);
                                }
                            }
                        }
                    });
                    t.start();
                    writers.add(t);
                }
                // Let uploads get going on every connection, then kill mid-stream at a varying moment.
                int before = acknowledged.size();
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (acknowledged.size() < before + 50 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(200 + round * 300L);
                stop.set(true);
                server.kill9();
                for (Thread t : writers) {
                    t.join(10_000);
                }
                assertThat(failures).as("writers failed before the kill").isEmpty();
                assertThat(acknowledged).as("uploads were acknowledged before the kill").isNotEmpty();
            }
            verify(acknowledged);
        }
    }

    private void verify(Map<String, Long> acknowledged) throws Exception {
        try (ServerProcess server = ServerProcess.start(dataDir);
             TestClient client = TestClient.connect(server.port, server.certificate)) {
            client.send(new Request.Query(1, 0, ""));
            Map<String, List<Integer>> byBatch = new HashMap<>();
            Map<String, Long> firstIndexOf = new HashMap<>();
            long position = 0;
            while (true) {
                Reply r = client.next();
                if (r instanceof Reply.Rows rows) {
                    for (LogEntry e : LogEntryCodec.decodeBatch(rows.entries(), rows.count())) {
                        byBatch.computeIfAbsent(e.server(), k -> new ArrayList<>()).add(e.port());
                        firstIndexOf.putIfAbsent(e.server(), position);
                        position++;
                    }
                } else {
                    break;
                }
            }
            for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
                List<Integer> indices = byBatch.get(ack.getKey());
                assertThat(indices).as("acknowledged batch %s is present", ack.getKey()).isNotNull();
                assertThat(firstIndexOf.get(ack.getKey())).as("batch %s at its acknowledged sequence", ack.getKey())
                        .isEqualTo(ack.getValue());
            }
            for (Map.Entry<String, List<Integer>> batch : byBatch.entrySet()) {
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < BATCH; i++) {
                    expected.add(i);
                }
                assertThat(batch.getValue()).as("batch %s is whole and present once", batch.getKey())
                        .isEqualTo(expected);
            }
            assertThat(position).as("sequences are contiguous from 0").isEqualTo(byBatch.size() * (long) BATCH);
        }
    }

    private static Request.Upload upload(String marker) {
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; i < BATCH; i++) {
            LogEntryCodec.encode(new LogEntry("crash-test", "127.0.0.1", i, i, 64, 128, 0.5f, marker), buf);
        }
        return new Request.Upload(1, BATCH, buf);
    }

    @Test
    void sigtermDrainsAndExitsZero() throws Exception {
        ServerProcess server = ServerProcess.start(dataDir);
        try (TestClient client = TestClient.connect(server.port, server.certificate)) {
            client.send(upload("term"));
            assertThat(client.next()).isInstanceOf(Reply.UploadOk.class);
        }
        assertThat(server.terminate()).isZero();
        try (ServerProcess again = ServerProcess.start(dataDir);
             TestClient client = TestClient.connect(again.port, again.certificate)) {
            client.send(new Request.Query(1, 0, "server=term"));
            Reply r = client.next();
            assertThat(r).isInstanceOf(Reply.Rows.class);
            assertThat(((Reply.Rows) r).count()).isEqualTo(BATCH);
        }
    }
}
