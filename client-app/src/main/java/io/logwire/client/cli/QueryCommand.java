package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.QueryPager;
import io.logwire.client.io.EntryWriter;
import picocli.CommandLine.Option;
import io.logwire.client.RowStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code logwire query FILTER}: entries matching a filter (PROTOCOL.md section 5), streamed to standard output. */
@Command(name = "query", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"Print the entries that match FILTER, in the order they were stored.",
                "FILTER is a comma-separated list of criteria, all of which must hold, e.g. "
                        + "'port>=8000, username!=root, score<0.5'; string fields take = and != (quote values with "
                        + "commas: username=\"a,b\"); numeric fields take = != < > <= >=. An empty filter matches "
                        + "everything."})
final class QueryCommand extends ScanCommand {
    @Parameters(index = "0", arity = "0..1", defaultValue = "", paramLabel = "FILTER",
            description = "The filter; empty = every entry.")
    String filter;

    @Option(names = "--from", paramLabel = "SEQ",
            description = "Only entries whose sequence number is at least SEQ, read page by page with QUERY_FROM "
                    + "(protocol version 2); the sequence to continue from is printed on standard error at the end.")
    Long from;

    @Option(names = "--page-size", paramLabel = "N",
            description = "With QUERY_FROM: rows per request (default " + DEFAULT_PAGE_SIZE + "; giving it implies "
                    + "--from 0).")
    Long pageSize;

    static final long DEFAULT_PAGE_SIZE = 10_000;

    @Override
    RowStream open(LogwireClient client) {
        return client.query(filter, limit);
    }

    @Override
    public Integer call() throws Exception {
        if (from == null && pageSize == null) {
            return super.call();
        }
        long page = pageSize == null ? DEFAULT_PAGE_SIZE : pageSize;
        if (page < 1 || page > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("--page-size must be 1..4294967295");
        }
        if (from != null && from < 0) {
            throw new IllegalArgumentException("--from must be >= 0");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0");
        }
        try (LogwireClient client = connect();
             QueryPager pager = new QueryPager(client, filter, from == null ? 0 : from, page)) {
            EntryWriter w = format.writer(main.out);
            long n = 0;
            while ((limit == 0 || n < limit) && pager.hasNext()) {
                w.write(pager.next().entry());
                if ((++n & 4095) == 0 && main.out.checkError()) {
                    return ExitCodes.OK;
                }
            }
            w.finish();
            main.out.flush();
            main.err.println("logwire: " + n + (n == 1 ? " row" : " rows") + " in " + pager.pages()
                    + (pager.pages() == 1 ? " page" : " pages") + "; continue with --from " + pager.nextSequence());
            main.err.flush();
            return ExitCodes.OK;
        }
    }
}
