package io.logwire.server.store.embedded;

import io.logwire.server.store.StoreException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive OS lock on {@link StoreFiles#LOCK_FILE} in a data directory, so two servers
 * (or two stores in one JVM) never write the same segments. The OS drops it if the process
 * dies, so a crash leaves nothing to clean up; the file itself stays. Thread-safe.
 */
final class DirectoryLock implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @throws StoreException if another store holds the directory, or the lock file cannot be
     *                        opened
     */
    static DirectoryLock acquire(Path dataDir) {
        Path file = StoreFiles.lockFile(dataDir);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StoreException("cannot open lock file " + file + ": " + e, e);
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this JVM
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StoreException("cannot lock " + file + ": " + e, e);
        }
        if (lock == null) {
            closeQuietly(channel);
            throw new StoreException("data directory " + dataDir.toAbsolutePath()
                    + " is already in use by another logwire store (lock file " + file.getFileName()
                    + " is held); stop that server or choose another data directory");
        }
        return new DirectoryLock(file, channel, lock);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was locked
        }
    }

    Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it too
        }
        closeQuietly(channel);
    }
}
