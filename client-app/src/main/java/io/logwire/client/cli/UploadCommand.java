package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
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
        try (LogwireClient client = connect(clientConfig(inFlight))) {
            Uploader uploader = new Uploader(client, batchSize, skipInvalid, format, sortByTime, main.err, main.in);
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
