package io.logwire.bench;

import picocli.CommandLine.Option;

/** Options every scenario has: the time bound and the output form. */
final class RunOptions {
    /** A run stops by itself after this long unless told otherwise. */
    static final int DEFAULT_MAX_SECONDS = 300;

    @Option(names = "--max-seconds", paramLabel = "S", defaultValue = "" + DEFAULT_MAX_SECONDS,
            description = "Hard bound on the whole run: work stops, the result so far is reported and the "
                    + "run fails if it was cut short.")
    int maxSeconds;

    @Option(names = "--json", description = "Also print the result as one JSON object on standard output "
            + "(the human summary then goes to standard error).")
    boolean json;

    @Option(names = "--no-progress", description = "No progress display even on a terminal.")
    boolean noProgress;

    long deadlineNanos(long startNanos) {
        return startNanos + maxSeconds * 1_000_000_000L;
    }

    boolean progress() {
        return !noProgress && System.console() != null;
    }
}
