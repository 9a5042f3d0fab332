package io.logwire.server.store;

/** When the embedded store forces written data to disk before acknowledging an upload. */
public enum FsyncPolicy {
    /** fsync before every acknowledgement; uploads arriving together share one fsync (group commit). */
    ALWAYS,
    /** Acknowledge once written to the OS; fsync at a fixed interval. A crash can lose that interval. */
    BATCH,
    /** Acknowledge once written to the OS; never fsync explicitly. A machine crash can lose anything not yet flushed by the OS. */
    NEVER
}
