package io.logwire.client.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code logwire shell}: the interactive menu; also driven line by line from a pipe. */
@Command(name = "shell", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"An interactive menu: upload files, query or search the server, refine the results locally "
                + "with the same filter language, undo refinements, and re-run commands from the history.",
                "Works with piped standard input too (one command per line), for scripts."})
final class ShellCommand extends ConnectedCommand {
    @Option(names = "--max-results", defaultValue = "100000", paramLabel = "N",
            description = "Rows of a query or search kept for refinement; more are not fetched (narrow the filter).")
    int maxResults;

    @Option(names = "--history", defaultValue = "${sys:user.home}/.logwire_history", paramLabel = "FILE",
            description = "Where commands are remembered across sessions.")
    Path history;

    @Option(names = "--page", defaultValue = "20", paramLabel = "N",
            description = "Rows printed after each command (show N prints more).")
    int page;

    @Override
    public Integer call() throws Exception {
        if (maxResults < 1 || page < 0) {
            throw new IllegalArgumentException("--max-results must be positive and --page at least 0");
        }
        return new Shell(this, maxResults, history, page).run();
    }
}
