package io.logwire.server.store.embedded;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * What {@code manifest.json} of an embedded-store backup says: every segment file with its
 * length, SHA-256 and sequence range, the backup's sequence range and when it was taken.
 * Written last (write-temp-then-rename), so a backup directory without one is incomplete.
 *
 * @param format          always {@link #FORMAT}
 * @param version         layout version, {@link #VERSION}
 * @param createdAt       when the backup started (ISO-8601, UTC)
 * @param completedAt     when the copy was verified (ISO-8601, UTC)
 * @param source          the store directory that was copied
 * @param firstSequence   sequence of the first entry in the backup
 * @param endSequence     sequence after the last entry in the backup (first == end: empty)
 * @param entries         entries in the backup
 * @param bytes           bytes of segment files
 * @param trimmedBytes    bytes of a record being written at copy time, cut from the last segment
 * @param segments        the segment files, in sequence order
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BackupManifest(String format, int version, String createdAt, String completedAt, String source,
                             long firstSequence, long endSequence, long entries, long bytes, long trimmedBytes,
                             List<SegmentFile> segments) {
    public static final String FORMAT = "logwire-embedded-store-backup";
    public static final int VERSION = 1;
    /** File name of the manifest inside a backup directory. */
    public static final String FILE_NAME = "manifest.json";

    public BackupManifest {
        segments = List.copyOf(segments);
    }

    /**
     * One segment file of a backup.
     *
     * @param file          file name inside {@code segments/}
     * @param baseSequence  sequence of its first entry (also in the name)
     * @param endSequence   sequence after its last entry
     * @param records       records (upload batches) in it
     * @param bytes         its length
     * @param sha256        SHA-256 of its contents, lower-case hex
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SegmentFile(String file, long baseSequence, long endSequence, long records, long bytes,
                              String sha256) {
    }
}
