package io.logwire.server.metrics;

/** Whether the server can take work now, for {@code /readyz}. Called on the metrics thread. */
@FunctionalInterface
public interface Readiness {
    /** Null when ready; otherwise a short reason for people ("draining", "store unavailable"). */
    String notReadyReason();
}
