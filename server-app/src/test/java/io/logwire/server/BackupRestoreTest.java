package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.store.embedded.BackupManifest;
import io.logwire.server.store.embedded.StoreBackup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documented commands end to end: {@code logwire-server backup} of a running server's
 * data directory while a client uploads, {@code restore} into a new directory, a server
 * started there serves every entry acknowledged before the backup started, exactly once.
 */
class BackupRestoreTest {
    @TempDir
    Path dir;

    /** Entry {@code id}: the id is in accessTime, so a row says which upload it came from. */
    private static LogEntry entry(long id) {
        return new LogEntry("user" + (id % 13), "10.1." + (id % 250) + ".7", (int) (id % 65536), id,
                id * 3 % 100_000, id * 7 % 1_000_000, (id % 100) / 4f, "srv-" + (id % 3) + "y".repeat((int) (id % 9)));
    }

    @Test
    void backupOfALiveServerUnderLoadRestoresEveryEntryAcknowledgedBeforeIt() throws Exception {
        Path data = dir.resolve("data");
        Path backup = dir.resolve("backup");
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> uploaderFailed = new AtomicReference<>();
        LogwireServer server = TestServers.start(data, b -> b.segmentBytes(64 * 1024));
        Set<Long> ackedBeforeBackup;
        int exit;
        try {
            Thread uploader = new Thread(() -> {
                try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
                    upload(c, acknowledged, stop);
                } catch (Throwable t) {
                    uploaderFailed.set(t);
                }
            }, "test-uploader");
            uploader.start();
            awaitSize(acknowledged, 5_000, uploaderFailed);

            ackedBeforeBackup = Set.copyOf(acknowledged);
            exit = cli("backup", "--data-dir", data.toString(), "--to", backup.toString());
            int ackedAfterBackup = acknowledged.size();
            awaitSize(acknowledged, ackedAfterBackup + 1_000, uploaderFailed);
            stop.set(true);
            uploader.join();
            assertThat(uploaderFailed.get()).isNull();
            assertThat(ackedAfterBackup).as("uploads went on during the backup").isGreaterThan(ackedBeforeBackup.size());
        } finally {
            server.stop();
        }
        assertThat(exit).isZero();
        BackupManifest manifest = StoreBackup.readManifest(backup);
        assertThat(manifest.segments().size()).as("several segments, rolled under load").isGreaterThan(2);
        assertThat(cli("verify-backup", "--from", backup.toString())).isZero();

        Path restored = dir.resolve("restored");
        assertThat(cli("restore", "--from", backup.toString(), "--data-dir", restored.toString())).isZero();
        LogwireServer second = TestServers.start(restored, b -> { });
        try (TestClient c = TestClient.connect(second.port(), second.tls().certificate())) {
            List<LogEntry> rows = ServerEndToEndTest.query(c, 1, new Request.Query(1, 0, ""));
            assertThat(rows).hasSize((int) manifest.entries());
            Map<Long, Integer> seen = new HashMap<>();
            for (LogEntry row : rows) {
                assertThat(row).as("no corruption").isEqualTo(entry(row.accessTime()));
                seen.merge(row.accessTime(), 1, Integer::sum);
            }
            assertThat(seen.values()).as("exactly once").allMatch(n -> n == 1);
            assertThat(seen.keySet()).containsAll(ackedBeforeBackup);
            // The restored server goes on numbering after the backup's last entry.
            c.send(ServerEndToEndTest.upload(2, List.of(entry(4_000_000_000L))));
            assertThat(c.next()).isEqualTo(new Reply.UploadOk(2, 1, manifest.endSequence()));
        } finally {
            second.stop();
        }
    }

    @Test
    void restoreRefusesANonEmptyDataDirectoryAndVerifyCatchesACorruptBackup() throws Exception {
        Path data = dir.resolve("data");
        LogwireServer server = TestServers.start(data, b -> { });
        try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
            List<LogEntry> batch = new ArrayList<>();
            for (long i = 0; i < 100; i++) {
                batch.add(entry(i));
            }
            c.send(ServerEndToEndTest.upload(1, batch));
            assertThat(c.next()).isEqualTo(new Reply.UploadOk(1, 100, 0));
        } finally {
            server.stop();
        }
        Path backup = dir.resolve("backup");
        assertThat(cli("backup", "--data-dir", data.toString(), "--to", backup.toString())).isZero();
        assertThat(cli("backup", "--data-dir", data.toString(), "--to", backup.toString()))
                .as("the target is not empty").isEqualTo(2);

        // The server's own data directory is not empty: refused, and left as it was.
        long before = Files.size(data.resolve("store").resolve("segments").resolve(
                manifestFile(backup)));
        assertThat(cli("restore", "--from", backup.toString(), "--data-dir", data.toString())).isEqualTo(2);
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "keep me");
        assertThat(cli("restore", "--from", backup.toString(), "--data-dir", other.toString())).isEqualTo(2);
        assertThat(Files.readString(other.resolve("notes.txt"))).isEqualTo("keep me");
        assertThat(Files.size(data.resolve("store").resolve("segments").resolve(manifestFile(backup))))
                .isEqualTo(before);

        // A segment cut short: verify and restore both fail, and restore leaves nothing behind.
        Path segment = backup.resolve("segments").resolve(manifestFile(backup));
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(f.length() - 10);
        }
        assertThat(cli("verify-backup", "--from", backup.toString())).isEqualTo(2);
        Path fresh = dir.resolve("fresh");
        assertThat(cli("restore", "--from", backup.toString(), "--data-dir", fresh.toString())).isEqualTo(2);
        assertThat(fresh.resolve("store")).doesNotExist();
        assertThat(cli("verify-backup", "--from", dir.resolve("no-such-backup").toString())).isEqualTo(2);
    }

    private static String manifestFile(Path backup) {
        return StoreBackup.readManifest(backup).segments().get(0).file();
    }

    private static int cli(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> 1);
        return cl.execute(args);
    }

    /** Uploads batches of 1..20 entries with up to 16 in flight, recording the ids of acknowledged entries. */
    private static void upload(TestClient c, Set<Long> acknowledged, AtomicBoolean stop) throws Exception {
        Map<Integer, List<Long>> inFlight = new HashMap<>();
        long nextId = 0;
        int stream = 0;
        while (!stop.get() || !inFlight.isEmpty()) {
            if (!stop.get() && inFlight.size() < 16) {
                stream = stream % 1_000_000 + 1;
                int n = 1 + (int) (nextId % 20);
                List<LogEntry> batch = new ArrayList<>(n);
                List<Long> ids = new ArrayList<>(n);
                for (int k = 0; k < n; k++) {
                    ids.add(nextId);
                    batch.add(entry(nextId++));
                }
                inFlight.put(stream, ids);
                c.send(ServerEndToEndTest.upload(stream, batch));
                continue;
            }
            Reply r = c.next();
            if (!(r instanceof Reply.UploadOk ok)) {
                throw new AssertionError("unexpected reply " + r);
            }
            List<Long> ids = inFlight.remove(ok.streamId());
            assertThat(ok.stored()).isEqualTo(ids.size());
            acknowledged.addAll(ids);
        }
    }

    private static void awaitSize(Set<Long> set, int size, AtomicReference<Throwable> failed) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (set.size() < size) {
            if (failed.get() != null) {
                throw new AssertionError("uploader failed", failed.get());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + set.size() + " entries acknowledged in 60 s");
            }
            Thread.sleep(2);
        }
    }
}
