package io.logwire.server.backup;

import io.logwire.server.Stores;
import io.logwire.server.store.StoreException;
import io.logwire.server.store.embedded.BackupManifest;
import io.logwire.server.store.embedded.StoreBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code logwire-server backup}: copies a (possibly live) embedded store into a new directory and verifies it. */
@Command(name = "backup", sortOptions = false, usageHelpWidth = 110,
        description = {"Back up the embedded store of a data directory, while the server runs or not.",
                "Reads the segment files without taking the store's lock and without writing to them; every entry "
                        + "acknowledged before the backup started is in the backup. Writes manifest.json last and "
                        + "verifies every record of the copy. See docs/operations.md."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:backed up and verified", "1:invalid options",
                "2:failed (no store, target not empty, damaged segment, I/O error)"})
public final class BackupCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--data-dir", defaultValue = "${env:LOGWIRE_DATA_DIR:-data}",
            description = "The server's data directory (its store is in <data-dir>/" + Stores.EMBEDDED_DIR
                    + ") (env LOGWIRE_DATA_DIR). Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--to", required = true, description = "Directory to write the backup to; must not exist or "
            + "be empty.")
    Path to;

    @Override
    public Integer call() {
        try {
            BackupManifest m = StoreBackup.backup(dataDir.resolve(Stores.EMBEDDED_DIR), to);
            System.out.printf("backup OK: %d entries (sequences %d to %d), %d segments, %d bytes, in %s%n",
                    m.entries(), m.firstSequence(), m.endSequence(), m.segments().size(), m.bytes(),
                    to.toAbsolutePath());
            return 0;
        } catch (StoreException e) {
            System.err.println("logwire-server backup: " + e.getMessage());
            return 2;
        }
    }
}
