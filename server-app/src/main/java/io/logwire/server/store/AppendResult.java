package io.logwire.server.store;

/** A durable batch: its size and the sequence of its first entry. */
public record AppendResult(int stored, long firstSequence) {
}
