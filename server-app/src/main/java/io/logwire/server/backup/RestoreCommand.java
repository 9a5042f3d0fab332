package io.logwire.server.backup;

import io.logwire.server.Stores;
import io.logwire.server.store.StoreException;
import io.logwire.server.store.embedded.BackupManifest;
import io.logwire.server.store.embedded.StoreBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code logwire-server restore}: verifies a backup and restores it into a new, empty data directory. */
@Command(name = "restore", sortOptions = false, usageHelpWidth = 110,
        description = {"Restore a backup made by 'logwire-server backup' into a new data directory.",
                "Verifies the backup first (lengths, SHA-256, every record's CRC); refuses a data directory that "
                        + "is not empty. Start the server with --data-dir pointing there afterwards."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:restored and verified", "1:invalid options",
                "2:failed (backup incomplete or corrupt, target not empty, I/O error)"})
public final class RestoreCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--from", required = true, description = "The backup directory.")
    Path from;

    @Option(names = "--data-dir", required = true,
            description = "The new data directory; must not exist or be empty.")
    Path dataDir;

    @Override
    public Integer call() {
        try {
            requireEmptyOrAbsent(dataDir);
            BackupManifest m = StoreBackup.restore(from, dataDir.resolve(Stores.EMBEDDED_DIR));
            System.out.printf("restore OK: %d entries (sequences %d to %d), %d segments, backed up at %s, into %s%n",
                    m.entries(), m.firstSequence(), m.endSequence(), m.segments().size(), m.createdAt(),
                    dataDir.toAbsolutePath());
            return 0;
        } catch (StoreException e) {
            System.err.println("logwire-server restore: " + e.getMessage());
            return 2;
        }
    }

    private static void requireEmptyOrAbsent(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new StoreException("data directory " + dir.toAbsolutePath() + " exists and is not a directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new StoreException("data directory " + dir.toAbsolutePath() + " is not empty; restore only "
                        + "into a new or empty directory (it never overwrites a store)");
            }
        } catch (IOException e) {
            throw new StoreException("cannot read " + dir + ": " + e, e);
        }
    }
}
