package io.logwire.server.store;

/**
 * Figures for STATS.
 *
 * @param entriesStored  entries currently retained
 * @param segments       number of segment files (or parts, for other backends)
 * @param bytesOnDisk    bytes of those files
 * @param oldestSequence sequence of the oldest retained entry, or -1 if none
 * @param newestSequence sequence of the newest entry, or -1 if none
 */
public record StoreStats(long entriesStored, long segments, long bytesOnDisk, long oldestSequence,
                         long newestSequence) {
}
