package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code logwire negate N}: minus N, computed by the server; -2147483648 is an OVERFLOW (exit 3). */
@Command(name = "negate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Print -N, computed by the server (NEGATE).",
        "N is a 32-bit signed integer; -2147483648 has no negation in that range: OVERFLOW (exit code 3)."})
final class NegateCommand extends ConnectedCommand {
    @Parameters(index = "0", paramLabel = "N", description = "-2147483648..2147483647")
    int value;

    @Override
    public Integer call() {
        try (LogwireClient client = connect()) {
            main.out.println(client.sync().negate(value));
            return ExitCodes.OK;
        }
    }
}
