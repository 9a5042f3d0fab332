package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code logwire echo TEXT}: the server sends the text back. */
@Command(name = "echo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Send TEXT to the server and print what it sends back (ECHO).")
final class EchoCommand extends ConnectedCommand {
    @Parameters(index = "0", paramLabel = "TEXT")
    String text;

    @Override
    public Integer call() {
        try (LogwireClient client = connect()) {
            main.out.println(client.sync().echo(text));
            return ExitCodes.OK;
        }
    }
}
