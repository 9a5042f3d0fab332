package io.logwire.client;

/**
 * The answer to UPLOAD (PROTOCOL.md section 4): how many entries were stored and the sequence
 * number of the first; the batch got consecutive numbers.
 */
public record UploadResult(long stored, long firstSequence) {
    /** The sequence of the batch's last entry, or {@code firstSequence - 1} for an empty batch. */
    public long lastSequence() {
        return firstSequence + stored - 1;
    }
}
