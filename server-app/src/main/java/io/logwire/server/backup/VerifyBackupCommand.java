package io.logwire.server.backup;

import io.logwire.server.store.StoreException;
import io.logwire.server.store.embedded.BackupManifest;
import io.logwire.server.store.embedded.StoreBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code logwire-server verify-backup}: checks a backup directory without restoring it. */
@Command(name = "verify-backup", sortOptions = false, usageHelpWidth = 110,
        description = {"Check a backup made by 'logwire-server backup': the manifest, every segment file's length "
                + "and SHA-256, and every record's CRC and sequence. Read-only."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the backup is complete and intact", "1:invalid options",
                "2:the backup is incomplete or corrupt (the message says where)"})
public final class VerifyBackupCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--from", required = true, description = "The backup directory.")
    Path from;

    @Override
    public Integer call() {
        try {
            BackupManifest m = StoreBackup.verify(from);
            System.out.printf("backup OK: %d entries (sequences %d to %d), %d segments, %d bytes, backed up at %s%n",
                    m.entries(), m.firstSequence(), m.endSequence(), m.segments().size(), m.bytes(), m.createdAt());
            return 0;
        } catch (StoreException e) {
            System.err.println("logwire-server verify-backup: " + e.getMessage());
            return 2;
        }
    }
}
