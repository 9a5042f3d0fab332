package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.BatchId;
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
 * UPLOAD_ONCE batch ids survive {@code kill -9} (the packaged jar): batches uploaded with ids
 * from several connections, the server killed mid-stream, restarted, and every batch sent
 * before the kill (acknowledged or not) sent again with its id. Acknowledged ones come back
 * as duplicates with their original sequences; in the store every batch is present once.
 */
class UploadOnceCrashIT {
    private static final int CONNECTIONS = 4;
    private static final int BATCH = 200;

    @TempDir
    Path dataDir;

    /** A batch as sent: its id, and the firstSequence of its acknowledgement (-1 until acknowledged). */
    private static final class Sent {
        final BatchId id = BatchId.random();
        volatile long firstSequence = -1;
    }

    @Test
    void batchIdsSurviveKill9() throws Exception {
        Map<String, Sent> sent = new ConcurrentHashMap<>(); // marker -> batch
        for (int round = 0; round < 2; round++) {
            try (ServerProcess server = ServerProcess.start(dataDir)) {
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> writers = new ArrayList<>();
                List<Throwable> failures = new ArrayList<>();
                for (int c = 0; c < CONNECTIONS; c++) {
                    String prefix = "r" + round + "c" + c + "b";
                    Thread t = new Thread(() -> {
                        try (TestClient client = TestClient.connect(server.port, server.certificate)) {
                            for (int b = 0; !stop.get(); b++) {
                                String marker = prefix + b;
                                Sent s = new Sent();
                                sent.put(marker, s);
                                client.send(once(s.id, marker));
                                Reply r = client.poll(5000);
                                if (r instanceof Reply.UploadOnceOk ok) {
                                    assertThat(ok.duplicate()).isFalse();
                                    s.firstSequence = ok.firstSequence();
                                } else if (stop.get()) {
                                    return;
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
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (acknowledged(sent) < (round + 1) * 60 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(100 + round * 200L);
                stop.set(true);
                server.kill9();
                for (Thread t : writers) {
                    t.join(10_000);
                }
                assertThat(failures).as("writers failed before the kill").isEmpty();
            }
            resendAndVerify(sent);
        }
    }

    private static long acknowledged(Map<String, Sent> sent) {
        return sent.values().stream().filter(s -> s.firstSequence >= 0).count();
    }

    private void resendAndVerify(Map<String, Sent> sent) throws Exception {
        try (ServerProcess server = ServerProcess.start(dataDir);
             TestClient client = TestClient.connect(server.port, server.certificate)) {
            int duplicates = 0;
            for (Map.Entry<String, Sent> e : sent.entrySet()) {
                Sent s = e.getValue();
                client.send(once(s.id, e.getKey()));
                Reply.UploadOnceOk ok = (Reply.UploadOnceOk) client.next();
                assertThat(ok.stored()).isEqualTo(BATCH);
                if (s.firstSequence >= 0) {
                    assertThat(ok.duplicate()).as("acknowledged batch %s is a duplicate", e.getKey()).isTrue();
                    assertThat(ok.firstSequence()).as("batch %s keeps its sequence", e.getKey())
                            .isEqualTo(s.firstSequence);
                } else {
                    s.firstSequence = ok.firstSequence(); // stored before the kill (duplicate) or now
                }
                duplicates += ok.duplicate() ? 1 : 0;
            }
            assertThat(duplicates).isGreaterThanOrEqualTo((int) sent.values().stream().count() / 2);
            client.send(new Request.Query(1, 0, ""));
            Map<String, List<Integer>> byBatch = new HashMap<>();
            Map<String, Long> firstIndexOf = new HashMap<>();
            long position = 0;
            Reply r;
            while ((r = client.next()) instanceof Reply.Rows rows) {
                for (LogEntry e : LogEntryCodec.decodeBatch(rows.entries(), rows.count())) {
                    byBatch.computeIfAbsent(e.server(), k -> new ArrayList<>()).add(e.port());
                    firstIndexOf.putIfAbsent(e.server(), position);
                    position++;
                }
            }
            List<Integer> whole = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                whole.add(i);
            }
            assertThat(byBatch.keySet()).isEqualTo(sent.keySet());
            for (Map.Entry<String, Sent> e : sent.entrySet()) {
                assertThat(byBatch.get(e.getKey())).as("batch %s whole and once", e.getKey()).isEqualTo(whole);
                assertThat(firstIndexOf.get(e.getKey())).isEqualTo(e.getValue().firstSequence);
            }
            assertThat(position).isEqualTo((long) sent.size() * BATCH);
        }
    }

    private static Request.UploadOnce once(BatchId id, String marker) {
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; i < BATCH; i++) {
            LogEntryCodec.encode(new LogEntry("crash-once", "127.0.0.1", i, i, 64, 128, 0.5f, marker), buf);
        }
        return new Request.UploadOnce(1, id, BATCH, buf);
    }
}
