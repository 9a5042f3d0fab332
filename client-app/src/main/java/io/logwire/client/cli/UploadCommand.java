package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.ResilientUploader;
import io.logwire.client.UploadOnceResult;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.BatchId;
import io.logwire.client.io.EntryFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code logwire upload FILE...}: CSV or JSON Lines files (or {@code -}) to the server, batched and pipelined. */
@Command(name = "upload", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"Upload access-log entries from CSV files (header row of the eight field names) or JSON Lines "
                + "files (one object per line with those keys).",
                "Uploads are exactly-once by default (UPLOAD_ONCE, protocol version 2): each batch carries a random id "
                        + "and is retried with the same id after a lost connection, so every entry is stored once; "
                        + "--no-dedup uses plain UPLOAD, and so does a server that speaks only protocol version 1.",
                "Files of any size are streamed in constant memory. A bad line is reported as FILE:LINE: reason and "
                        + "stops the upload before its batch is sent (exit code 1), unless --skip-invalid."})
final class UploadCommand extends ConnectedCommand {
    @Parameters(arity = "1..*", paramLabel = "FILE",
            description = "Files to upload, in order; - reads standard input. A .gz suffix is decompressed.")
    List<String> files;

    @Option(names = "--format", paramLabel = "csv|jsonl",
            description = "Input format; default: from the extension (.csv; .jsonl, .ndjson, .json), "
                    + "else guessed from the first character ({ means JSON Lines).")
    EntryFormat format;

    @Option(names = "--batch-size", defaultValue = "1000", paramLabel = "N",
            description = "Entries per UPLOAD request (smaller if the server's frame limit requires).")
    int batchSize;

    @Option(names = "--in-flight", defaultValue = "16", paramLabel = "N",
            description = "Batches sent and not yet acknowledged, at most.")
    int inFlight;

    @Option(names = "--skip-invalid", description = "Skip bad lines (the first " + Uploader.MAX_REPORTED_SKIPS
            + " are reported) and count them, instead of stopping.")
    boolean skipInvalid;

    @Option(names = "--sort", paramLabel = "accessTime",
            description = "Send the entries in accessTime order (stable), like the tutorial's priority queue; "
                    + "large inputs are sorted through temporary files.")
    String sort;

    @Option(names = "--no-progress", description = "No progress bar, even on a terminal.")
    boolean noProgress;

    @Option(names = "--retries", defaultValue = "10", paramLabel = "N",
            description = "Exactly-once upload: times a batch is sent again (same batch id, on a new connection if the "
                    + "old one was lost) after a lost connection, a timeout, OVERLOADED or SHUTTING_DOWN, with "
                    + "backoff honouring the server's retry hint.")
    int retries;

    @Option(names = "--no-dedup", description = "Plain UPLOAD (protocol version 1) instead of exactly-once UPLOAD_ONCE: "
            + "no retries, and a batch whose acknowledgement is lost may be stored or not.")
    boolean noDedup;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || inFlight < 1) {
            throw new IllegalArgumentException("--batch-size and --in-flight must be positive");
        }
        boolean sortByTime = false;
        if (sort != null) {
            if (!sort.toLowerCase(Locale.ROOT).equals("accesstime")) {
                throw new IllegalArgumentException("--sort takes accessTime (the only order supported), not " + sort);
            }
            sortByTime = true;
        }
        for (String f : files) {
            if (!f.equals("-") && !Files.isReadable(Path.of(f))) {
                throw new IOException(f + ": " + (Files.exists(Path.of(f)) ? "not readable" : "no such file"));
            }
        }
        if (retries < 0) {
            throw new IllegalArgumentException("--retries must be >= 0");
        }
        if (noDedup) {
            try (LogwireClient client = connect(clientConfig(inFlight))) {
                return upload(new Uploader(client, batchSize, skipInvalid, format, sortByTime, main.err, main.in));
            }
        }
        try (ResilientUploader up = new ResilientUploader(clientConfig(inFlight), retries)) {
            long maxFrame;
            try {
                maxFrame = up.connect().maxFrameLength();
            } catch (UnsupportedOperationException v1) {
                // A version-1 server has no UPLOAD_ONCE: plain UPLOAD, as documented in --help.
                try (LogwireClient client = connect(clientConfig(inFlight))) {
                    return upload(new Uploader(client, batchSize, skipInvalid, format, sortByTime, main.err, main.in));
                }
            }
            Uploader uploader = new Uploader(b -> up.upload(b).thenApply(UploadOnceResult::toUploadResult),
                    maxFrame - FrameConstants.HEADER_SIZE - 4 - BatchId.SIZE, batchSize, skipInvalid, format,
                    sortByTime, main.err, main.in);
            int code = upload(uploader);
            if (up.retries() > 0) {
                main.err.printf("logwire: %d %s retried (%d acknowledged as already stored), %d %s%n", up.retries(),
                        up.retries() == 1 ? "batch" : "batches", up.duplicates(), up.reconnects(),
                        up.reconnects() == 1 ? "reconnect" : "reconnects");
                main.err.flush();
            }
            return code;
        }
    }

    private int upload(Uploader uploader) throws Exception {
        {  // (one block, as in the connected forms above)
            main.err.flush();
            Progress progress = main.interactive && !noProgress ? Progress.bar(Uploader.totalBytes(files), System.err)
                    : Progress.none();
            Uploader.Summary summary;
            try (progress) {
                summary = uploader.run(files, progress);
            } catch (Uploader.Aborted a) {
                progress.close();
                main.err.println(a.cause.getMessage());
                main.err.println("logwire: upload stopped; nothing of the batch holding that line was sent"
                        + (a.partial.entries() > 0 ? "; earlier batches were stored: " + a.partial.line()
                        : "; nothing was stored")
                        + (a.cause.isFatal() ? "" : " (--skip-invalid skips bad lines)"));
                return ExitCodes.USAGE;
            }
            main.out.println(summary.line());
            return ExitCodes.OK;
        }
    }
}
