package io.logwire.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code logwire-bench}: throughput and latency scenarios against a logwire server. */
@Command(name = "logwire-bench", mixinStandardHelpOptions = true, version = "logwire-bench 1.0",
        sortOptions = false, showDefaultValues = true, usageHelpWidth = 110,
        description = {"Benchmarks a running logwire server (and the TLS stack itself). Every run is bounded by "
                + "--max-seconds, prints a summary and, with --json, a JSON result on standard output."},
        subcommands = {IngestCommand.class, QueryCommand.class, EchoCommand.class, ConnectionsCommand.class,
                GenerateCommand.class, TlsCeilingCommand.class,
                FuzzCommand.class, CompressionCommand.class, TailLatencyCommand.class, ChaosCommand.class,
                AggCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:a check failed (lost/duplicated entries, errors, cut short by --max-seconds)",
                "2:invalid options", "3:could not connect", "4:overran --max-seconds by a minute and was stopped"})
public final class Main {
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_CONNECT = 3;
    static final int EXIT_TIMEOUT = 4;

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("logwire-bench: " + e.getMessage());
                return EXIT_USAGE;
            }
            cmd.getErr().println("logwire-bench: " + e);
            e.printStackTrace(cmd.getErr()); // a bug in the tool: the trace is what a report needs
            return EXIT_FAILED;
        });
        System.exit(cl.execute(args));
    }
}
