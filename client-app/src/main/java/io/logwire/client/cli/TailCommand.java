package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.TailFollower;
import io.logwire.client.io.EntryWriter;
import io.logwire.client.io.EntryFormat;
import io.logwire.client.io.TableWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/** {@code logwire tail FILTER}: follows new matching entries like {@code tail -f}, surviving disconnects and server restarts. */
@Command(name = "tail", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"Print the entries that match FILTER as they are stored, like tail -f (TAIL, protocol version 2).",
                "When the connection is lost, the server restarts or ends the tail (OVERLOADED), the tail reconnects "
                        + "with backoff and resumes after the last entry printed: no entry is missed or printed "
                        + "twice. Ctrl-C stops it (exit code 0)."})
final class TailCommand extends ConnectedCommand {
    @Parameters(index = "0", arity = "0..1", defaultValue = "", paramLabel = "FILTER",
            description = "The filter (as for query); empty = every entry.")
    String filter;

    @Option(names = "--from", paramLabel = "SEQ",
            description = "Start with the stored entries from sequence SEQ; default: only entries stored from now on.")
    Long from;

    @Option(names = {"-n", "--limit"}, defaultValue = "0", paramLabel = "N",
            description = "Stop after N entries; 0 = follow until Ctrl-C.")
    long limit;

    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "table|csv|jsonl",
            description = "table for people (columns sized from the first entry); csv or jsonl for tools.")
    OutputFormat format;

    @Option(names = "--max-backoff", converter = DurationConverter.class, defaultValue = "10s", paramLabel = "DURATION",
            description = "Longest wait between reconnection attempts (it starts at 100ms and doubles).")
    Duration maxBackoff;

    @Override
    public Integer call() throws Exception {
        if (from != null && from < 0) {
            throw new IllegalArgumentException("--from must be >= 0");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0");
        }
        EntryWriter w = switch (format) {
            case TABLE -> new TableWriter(main.out, 1, false);
            case CSV -> EntryFormat.CSV.writer(main.out);
            case JSONL -> EntryFormat.JSONL.writer(main.out);
        };
        TailFollower follower = new TailFollower(clientConfig(), filter,
                from == null ? LogwireClient.TAIL_FROM_NOW : from, Duration.ofMillis(100), maxBackoff,
                (cause, wait, next) -> {
                    main.err.println("logwire: tail interrupted (" + cause.getMessage() + "); resuming from sequence "
                            + next + " in " + wait.toMillis() + "ms");
                    main.err.flush();
                });
        Runnable stop = follower::close;
        Object previous = Interrupts.onInterrupt(stop);
        long[] n = {0};
        try {
            follower.run(row -> {
                try {
                    w.write(row.entry());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (main.out.checkError() || (limit > 0 && ++n[0] >= limit)) {
                    follower.close();
                }
            }, () -> flush(w)); // once per burst of rows, when the next one is not here yet
            w.finish();
            main.out.flush();
            return ExitCodes.OK;
        } finally {
            follower.close();
            Interrupts.restore(previous);
        }
    }

    private static void flush(EntryWriter w) {
        try {
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
