package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code logwire double N}: twice N, computed by the server; OVERFLOW (exit 3) outside the 32-bit range. */
@Command(name = "double", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Print 2 x N, computed by the server (DOUBLE).",
        "N is a 32-bit signed integer; a result outside that range is an OVERFLOW error (exit code 3)."})
final class DoubleCommand extends ConnectedCommand {
    @Parameters(index = "0", paramLabel = "N", description = "-2147483648..2147483647")
    int value;

    @Override
    public Integer call() {
        try (LogwireClient client = connect()) {
            main.out.println(client.sync().doubleValue(value));
            return ExitCodes.OK;
        }
    }
}
