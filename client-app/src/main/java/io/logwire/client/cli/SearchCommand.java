package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.RowStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code logwire search TERM}: entries whose username, IP or server contains a term, ignoring case. */
@Command(name = "search", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = "Print the entries whose username, IP or server contains TERM, ignoring case.")
final class SearchCommand extends ScanCommand {
    @Parameters(index = "0", paramLabel = "TERM", description = "The text to look for; empty matches everything.")
    String term;

    @Override
    RowStream open(LogwireClient client) {
        return client.search(term, limit);
    }
}
