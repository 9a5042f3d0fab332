package io.logwire.server.store.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The names of everything the embedded store keeps on disk; the one place they are chosen.
 *
 * <pre>
 * &lt;dataDir&gt;/logwire.lock                         held (FileChannel.tryLock) while a store has the directory open
 * &lt;dataDir&gt;/segments/00000000000000000000.log   one segment per file, named by the sequence of its first entry,
 * &lt;dataDir&gt;/segments/00000000000000123000.log   20 digits zero-padded so that {@code ls} sorts them
 * &lt;dataDir&gt;/segments/00000000000000000000.cols  the columns of a sealed segment ({@link SegmentColumns})
 * &lt;dataDir&gt;/segments/next-segment.zeros        the next segment's file, written ahead ({@link SegmentPreallocator})
 * </pre>
 *
 * <p>Nothing on disk besides the segments needs to be trusted: the sparse index and
 * per-segment statistics are rebuilt in memory by recovery, and a column file is derived
 * data, checked when opened and made again from its segment when it is missing or wrong.
 */
final class StoreFiles {
    private static final Logger LOG = LoggerFactory.getLogger(StoreFiles.class);
    static final String SEGMENTS_DIR = "segments";
    static final String LOCK_FILE = "logwire.lock";
    static final String SEGMENT_SUFFIX = ".log";
    static final String COLUMNS_SUFFIX = ".cols";
    /** Digits of a segment's base sequence in its file name: enough for any non-negative long. */
    static final int BASE_DIGITS = 20;

    private StoreFiles() {
    }

    static Path segmentsDir(Path dataDir) {
        return dataDir.resolve(SEGMENTS_DIR);
    }

    static Path lockFile(Path dataDir) {
        return dataDir.resolve(LOCK_FILE);
    }

    static String segmentFileName(long baseSequence) {
        if (baseSequence < 0) {
            throw new IllegalArgumentException("negative base sequence " + baseSequence);
        }
        String digits = Long.toString(baseSequence);
        return "0".repeat(BASE_DIGITS - digits.length()) + digits + SEGMENT_SUFFIX;
    }

    static Path segmentFile(Path segmentsDir, long baseSequence) {
        return segmentsDir.resolve(segmentFileName(baseSequence));
    }

    /** The column file of the segment file {@code segment}. */
    static Path columnsFile(Path segment) {
        String name = segment.getFileName().toString();
        return segment.resolveSibling(name.substring(0, name.length() - SEGMENT_SUFFIX.length()) + COLUMNS_SUFFIX);
    }

    /** Whether {@code name} is a column file's or an unfinished one's (the store's own derived files). */
    static boolean isColumnsFileName(String name) {
        return name.endsWith(COLUMNS_SUFFIX) || name.endsWith(COLUMNS_SUFFIX + ".tmp");
    }

    /** The base sequence a segment file name stands for, or -1 if it is not a segment file name. */
    static long parseSegmentFileName(String name) {
        if (name.length() != BASE_DIGITS + SEGMENT_SUFFIX.length() || !name.endsWith(SEGMENT_SUFFIX)) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < BASE_DIGITS; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            int digit = c - '0';
            if (value > (Long.MAX_VALUE - digit) / 10) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /**
     * Forces a directory, so that files created or deleted in it survive a crash (a new
     * segment's name must be durable before records in it are acknowledged). Not every
     * platform can open a directory; there it is skipped.
     */
    static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("Cannot force directory {}: {}", dir, e.toString());
        }
    }
}
