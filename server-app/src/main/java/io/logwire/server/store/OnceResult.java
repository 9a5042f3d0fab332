package io.logwire.server.store;

/**
 * The outcome of {@link LogStore#appendOnce}: the batch's size and first sequence, those of
 * the original when {@code duplicate} (nothing was stored this time).
 */
public record OnceResult(int stored, long firstSequence, boolean duplicate) {
}
