package io.logwire.client;

/**
 * The answer to UPLOAD_ONCE (PROTOCOL.md 6.2): entries stored, the sequence of the first, and
 * whether the batch had been stored before (then nothing was stored again and the numbers are
 * those of the first time).
 */
public record UploadOnceResult(long stored, long firstSequence, boolean duplicate) {

    /** As an {@link UploadResult} (what a caller that does not care about duplicates needs). */
    public UploadResult toUploadResult() {
        return new UploadResult(stored, firstSequence);
    }
}
