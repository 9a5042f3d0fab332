package io.logwire.client.cli;

import io.logwire.client.ClientVersion;
import io.logwire.client.io.InputFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code logwire}: the command-line client. The connection options (each also an environment
 * variable) may be given before or after the command name.
 * Exit codes: {@link ExitCodes}.
 */
@Command(name = "logwire", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpWidth = 110, showDefaultValues = true,
        description = {"Client for the logwire log server: upload access logs, query and search them, "
                + "or explore them in an interactive shell.",
                "Connection options can be given before or after the command, or as environment variables."},
        subcommands = {UploadCommand.class, QueryCommand.class, SearchCommand.class, EchoCommand.class,
                TailCommand.class, AggCommand.class, DoubleCommand.class, NegateCommand.class, StatsCommand.class,
                PingCommand.class,
                GenCertCommand.class, ShellCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:usage or input error (bad option or argument; unreadable or malformed file, reported as FILE:LINE: reason)",
            "2:connection or TLS error (refused, timeout, untrusted/expired/mismatched certificate, plaintext server)",
            "3:the server answered with an error (e.g. OVERFLOW, INVALID_QUERY), or speaks protocol version 1 and the "
                    + "command needs version 2 (tail, agg, query --from)",
            "4:the server refused the bearer token (--token-file, LOGWIRE_TOKEN)"},
        footerHeading = "%nExamples:%n",
        footer = {"  logwire --ca data/tls/server.crt upload examples/access-log.csv",
                "  logwire --ca data/tls/server.crt query 'port>=8000, score<0.5' --format table",
                "  logwire --ca data/tls/server.crt tail 'port>=8000' --from 0",
                "  logwire --ca data/tls/server.crt agg 'port>=8000 | count, sum(dataSent) by username top 10'",
                "  logwire --ca data/tls/server.crt shell"})
public final class Main implements Callable<Integer> {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Main.class);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConnectionOptions connection;

    /** Standard input, output and error of this run (tests pass their own). */
    final InputStream in;
    final PrintWriter out;
    final PrintWriter err;
    /** Whether a person is at a terminal (progress bars, prompts). */
    final boolean interactive;

    Main(InputStream in, PrintWriter out, PrintWriter err, boolean interactive) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.interactive = interactive;
    }

    @Override
    public Integer call() {
        err.println("logwire: a command is required");
        spec.commandLine().usage(err);
        return ExitCodes.USAGE;
    }

    // ---------------------------------------------------------------- entry points

    public static void main(String[] args) {
        int code = run(args, System.in, System.out, System.err, System.console() != null);
        System.exit(code);
    }

    /**
     * Runs the CLI with the given streams (output is written as UTF-8) and returns the exit
     * code. Tests call this in-process.
     */
    public static int run(String[] args, InputStream in, OutputStream out, OutputStream err, boolean interactive) {
        PrintWriter o = writer(out);
        PrintWriter e = writer(err);
        try {
            Main main = new Main(in, o, e, interactive);
            CommandLine cl = new CommandLine(main);
            cl.setOut(o);
            cl.setErr(e);
            cl.setCaseInsensitiveEnumValuesAllowed(true);
            cl.setParameterExceptionHandler(Main::onParameterException);
            cl.setExecutionExceptionHandler(Main::onExecutionException);
            cl.setExitCodeExceptionMapper(ExitCodes::of);
            return cl.execute(args);
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** Always UTF-8, whatever the platform's default: csv and jsonl output must read back exactly. */
    private static PrintWriter writer(OutputStream s) {
        return new PrintWriter(new BufferedWriter(new OutputStreamWriter(s, StandardCharsets.UTF_8), 1 << 16), false);
    }

    private static int onParameterException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("logwire: " + ex.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
            err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int onExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        cl.getOut().flush();
        if (ex instanceof CommandLine.ParameterException pe) {
            return onParameterException(pe, new String[0]);
        }
        if (ex instanceof InputFormatException ife) {
            err.println(ife.getMessage());
        } else if (ex instanceof io.logwire.client.LogwireException || ex instanceof IllegalArgumentException) {
            err.println("logwire: " + ex.getMessage());
        } else if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
            err.println("logwire: " + ex.getMessage());
        } else {
            err.println("logwire: unexpected error (a bug; please report it): " + ex);
            err.flush();
            log.error("unexpected error", ex);
        }
        err.flush();
        return ExitCodes.of(ex);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"logwire " + ClientVersion.VERSION};
        }
    }
}
