package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
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

    @Override
    RowStream open(LogwireClient client) {
        return client.query(filter, limit);
    }
}
