package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.RowStream;
import io.logwire.client.io.EntryWriter;
import picocli.CommandLine.Option;

/** What {@code query} and {@code search} share: the limit, the output format, and streaming rows to standard output. */
abstract class ScanCommand extends ConnectedCommand {
    @Option(names = {"-n", "--limit"}, defaultValue = "0", paramLabel = "N", description = "At most N rows; 0 = all.")
    long limit;

    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "table|csv|jsonl",
            description = "table for people; csv or jsonl for tools, in exactly the form upload reads back.")
    OutputFormat format;

    abstract RowStream open(LogwireClient client);

    @Override
    public Integer call() throws Exception {
        if (limit < 0 || limit > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("--limit must be 0..4294967295");
        }
        try (LogwireClient client = connect(); RowStream rows = open(client)) {
            EntryWriter w = format.writer(main.out);
            long n = 0;
            while (rows.hasNext()) {
                w.write(rows.next());
                // A closed pipe (| head) makes the PrintWriter fail silently: stop instead of reading on.
                if ((++n & 4095) == 0 && main.out.checkError()) {
                    return ExitCodes.OK;
                }
            }
            w.finish();
            main.out.flush();
            return ExitCodes.OK;
        }
    }
}
