package io.logwire.server;

import io.logwire.server.config.ConfigException;
import io.logwire.server.config.ConfigLayer;
import io.logwire.server.config.EffectiveConfig;
import io.logwire.server.store.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real server command line: precedence flag > env > file > default, --print-config, file errors. */
class MainConfigTest {
    @TempDir
    Path dir;

    /** An option, a distinct valid value for each layer, and how the built ServerConfig shows it. */
    record Case(String key, String flag, String env, String fileToml, Object fileValue, Object envValue,
                Object flagValue, Object defaultValue, Function<ServerConfig, Object> get) {
        @Override
        public String toString() {
            return key;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("port", "1111", "2222", "3333", 3333, 2222, 1111, ServerConfig.DEFAULT_PORT,
                        ServerConfig::port),
                new Case("bind", "127.0.0.1", "127.0.0.2", "\"127.0.0.3\"", "127.0.0.3", "127.0.0.2", "127.0.0.1",
                        "0.0.0.0", ServerConfig::bindAddress),
                new Case("data-dir", "/f", "/e", "\"/file\"", Path.of("/file"), Path.of("/e"), Path.of("/f"),
                        Path.of("data"), ServerConfig::dataDir),
                new Case("fsync", "never", "batch", "\"always\"", FsyncPolicy.ALWAYS, FsyncPolicy.BATCH,
                        FsyncPolicy.NEVER, FsyncPolicy.ALWAYS, ServerConfig::fsync),
                new Case("idle-timeout", "7s", "8m", "\"9h\"", Duration.ofHours(9), Duration.ofMinutes(8),
                        Duration.ofSeconds(7), Duration.ofMinutes(5), ServerConfig::idleTimeout),
                new Case("max-frame", "64KiB", "2MiB", "1048576", 1048576, 2 << 20, 64 << 10, 16 << 20,
                        ServerConfig::maxFrameLength),
                new Case("tls-san", "a.example", "b.example,c.example", "[\"d.example\", \"e.example\"]",
                        List.of("d.example", "e.example"), List.of("b.example", "c.example"), List.of("a.example"),
                        List.of(), ServerConfig::tlsSans),
                new Case("legacy-port", "off", "2001", "\"3001\"", 3001, 2001, 0, 0, ServerConfig::legacyPort),
                new Case("worker-threads", "3", "4", "5", 5, 4, 3, 0, ServerConfig::workerThreads));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachLayerBeatsTheOnesBelowIt(Case c) throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "# test\n" + c.key() + " = " + c.fileToml() + "\n");
        String env = "LOGWIRE_" + c.key().toUpperCase().replace('-', '_');
        String[] flag = {"--" + c.key(), c.flag()};

        assertLayer(c, new String[0], Map.of(), c.defaultValue(), ConfigLayer.DEFAULT);
        assertLayer(c, new String[] {"--config", file.toString()}, Map.of(), c.fileValue(), ConfigLayer.FILE);
        assertLayer(c, new String[0], Map.of("LOGWIRE_CONFIG", file.toString()), c.fileValue(), ConfigLayer.FILE);
        assertLayer(c, new String[] {"--config", file.toString()}, Map.of(env, c.env()), c.envValue(),
                ConfigLayer.ENV);
        assertLayer(c, new String[0], Map.of(env, c.env()), c.envValue(), ConfigLayer.ENV);
        List<String> all = new ArrayList<>(List.of("--config", file.toString()));
        all.addAll(List.of(flag));
        assertLayer(c, all.toArray(String[]::new), Map.of(env, c.env()), c.flagValue(), ConfigLayer.FLAG);
        assertLayer(c, flag, Map.of(), c.flagValue(), ConfigLayer.FLAG);
    }

    private static void assertLayer(Case c, String[] args, Map<String, String> env, Object expected,
                                    ConfigLayer layer) throws ConfigException {
        Main main = parse(args, env);
        assertThat(c.get().apply(main.config())).as("%s from %s", c.key(), layer).isEqualTo(expected);
        EffectiveConfig.Entry entry = main.effective().get(c.key());
        assertThat(entry.layer()).as("%s layer", c.key()).isEqualTo(layer);
    }

    private static Main parse(String[] args, Map<String, String> env) throws ConfigException {
        CommandLine cl = Main.commandLine(args, env);
        cl.parseArgs(args);
        return cl.getCommand();
    }

    @Test
    void printConfigShowsEveryOptionItsValueAndLayerAndExitsZero() throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "port = 3333\nfsync = \"batch\"\ndata-dir = \"/var/lib/logwire\"\n");
        Result r = run(Map.of("LOGWIRE_FSYNC", "never"), "--config", file.toString(), "--print-config",
                "--port", "4444");
        assertThat(r.code).isZero();
        assertThat(r.out).contains("port = 4444", "# flag --port")
                .contains("fsync = \"never\"", "# env LOGWIRE_FSYNC")
                .contains("data-dir = \"/var/lib/logwire\"", "# file " + file + ":3")
                .contains("idle-timeout = \"5m\"")
                .doesNotContain("print-config =");
        // Every option of --help is there.
        CommandLine cl = Main.commandLine(new String[0], Map.of());
        for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
            if (!o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--print-config")) {
                assertThat(r.out).contains(o.longestName().substring(2) + " ");
            }
        }
        // The output is itself a configuration file giving the same configuration.
        Path printed = dir.resolve("printed.toml");
        Files.writeString(printed, r.out.replace("config = ", "# config = "));
        Main again = parse(new String[] {"--config", printed.toString()}, Map.of());
        Main first = parse(new String[] {"--config", file.toString(), "--port", "4444"}, Map.of("LOGWIRE_FSYNC",
                "never"));
        assertThat(again.config()).isEqualTo(first.config());
    }

    @Test
    void unknownKeysWrongTypesAndBadValuesNameTheFileKeyAndLine() throws Exception {
        Path file = dir.resolve("bad.toml");
        Files.writeString(file, "port = 1\n\nprot = 2\n");
        Result r = run(Map.of(), "--config", file.toString(), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file + ":3").contains("unknown key 'prot'");
        assertThat(r.out).isEmpty();

        Files.writeString(file, "port = \"abc\"\n");
        r = run(Map.of(), "--config", file.toString(), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file + ":1").contains("'port'").contains("expects an integer");

        Files.writeString(file, "bind = \"::1\"\nplaintext = \"yes\"\n");
        r = run(Map.of(), "--config", file.toString(), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file + ":2").contains("'plaintext'").contains("true or false");

        Files.writeString(file, "\n\nfsync = \"sometimes\"\n");
        r = run(Map.of(), "--config", file.toString(), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file + ":3").contains("key 'fsync'").contains("sometimes");

        Files.writeString(file, "idle-timeout = \"soon\"\n");
        r = run(Map.of(), "--config", file.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file + ":1").contains("key 'idle-timeout'").contains("not a duration");

        Files.writeString(file, "[server]\nport = 1\n");
        r = run(Map.of(), "--config", file.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file.toString()).contains("'server'");

        Files.writeString(file, "port = 1\nport = 2\n");
        r = run(Map.of(), "--config", file.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file.toString()).contains("not valid TOML");

        Files.writeString(file, "config = \"other.toml\"\n");
        r = run(Map.of(), "--config", file.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(file + ":1").contains("'config' cannot be set");

        r = run(Map.of(), "--config", dir.resolve("missing.toml").toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("missing.toml").contains("no such file");

        // A value the options accept but the server does not.
        Files.writeString(file, "port = 70000\n");
        r = run(Map.of(), "--config", file.toString(), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("70000");
    }

    @Test
    void aBadEnvironmentValueNamesTheVariable() {
        Result r = run(Map.of("LOGWIRE_MAX_IN_FLIGHT", "many"), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("LOGWIRE_MAX_IN_FLIGHT").contains("many");
        // A bad flag is the flag's fault, whatever the layers below it say.
        r = run(Map.of("LOGWIRE_MAX_IN_FLIGHT", "5"), "--max-in-flight", "lots", "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("lots").doesNotContain("LOGWIRE_MAX_IN_FLIGHT");
        r = run(Map.of("LOGWIRE_LOG_FORMAT", "xml"), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("LOGWIRE_LOG_FORMAT").contains("human or json");
        r = run(Map.of("LOGWIRE_LOG_LEVEL", "loud"), "--print-config");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("LOGWIRE_LOG_LEVEL").contains("loud");
    }

    @Test
    void valuesAreLiteralNotInterpolated() throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "bind = \"${env:HOME}\"\n");
        assertThat(parse(new String[] {"--config", file.toString()}, Map.of()).bind).isEqualTo("${env:HOME}");
    }

    @Test
    void theExampleFileInTheDocsLoadsAndSetsEveryOptionItShows() throws Exception {
        Path example = Path.of("..", "docs", "logwire-server.example.toml");
        Main main = parse(new String[] {"--config", example.toString()}, Map.of());
        ServerConfig config = main.config();
        assertThat(config.fsync()).isEqualTo(FsyncPolicy.ALWAYS);
        long fromFile = main.effective().entries().stream().filter(e -> e.layer() == ConfigLayer.FILE).count();
        assertThat(fromFile).isGreaterThanOrEqualTo(10);
    }

    record Result(int code, String out, String err) {
    }

    static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new HashMap<>(env), new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpDoesNotReadTheFile() {
        Result r = run(Map.of(), "--config", dir.resolve("missing.toml").toString(), "--help");
        assertThat(r.code).isZero();
        assertThat(r.out).contains("--config");
    }

    @Test
    void parseWithoutAFileNeedsNoFile() {
        assertThatThrownBy(() -> Main.commandLine(new String[] {"--config", "/nonexistent/x.toml"}, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("/nonexistent/x.toml");
    }
}
