package io.logwire.server.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The layering on a command that is not the server's: nothing in it depends on particular options. */
class ConfigLayersTest {
    @TempDir
    Path dir;

    @Command(name = "sub")
    static final class Sub implements Runnable {
        @Option(names = "--name", defaultValue = "sub-default")
        String name;

        @Override
        public void run() {
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true, subcommands = Sub.class)
    static final class Demo implements Runnable {
        @Option(names = "--db-password", defaultValue = "${env:LOGWIRE_DB_PASSWORD}", description = "secret")
        String dbPassword;

        @Option(names = "--api-token", description = "no env in its default")
        String apiToken;

        @Option(names = "--client-secret", defaultValue = "built-in-secret")
        String clientSecret;

        @Option(names = "--password-file", description = "a path: printed")
        Path passwordFile;

        @Option(names = "--name", defaultValue = "${env:DEMO_NAME:-anon}")
        String name;

        @Option(names = "--count", defaultValue = "3")
        int count;

        @Override
        public void run() {
        }
    }

    private record Parsed(Demo demo, CommandLine cl, ConfigLayers layers) {
        EffectiveConfig effective() {
            return EffectiveConfig.of(cl.getCommandSpec(), cl.getParseResult(), layers, Set.of());
        }
    }

    private Parsed parse(Map<String, String> env, String fileText, String... args) throws Exception {
        ConfigFile file = null;
        if (fileText != null) {
            Path p = dir.resolve("demo.toml");
            Files.writeString(p, fileText);
            file = ConfigFile.load(p);
        }
        Demo demo = new Demo();
        ConfigLayers layers = new ConfigLayers(env, file, Set.of());
        CommandLine cl = new CommandLine(demo).setDefaultValueProvider(layers);
        layers.checkFile(cl.getCommandSpec());
        cl.parseArgs(args);
        return new Parsed(demo, cl, layers);
    }

    @Test
    void environmentNamesComeFromTheDefaultOrFromTheOptionName() throws Exception {
        Parsed p = parse(Map.of("DEMO_NAME", "from-env", "LOGWIRE_COUNT", "9", "LOGWIRE_API_TOKEN", "t0k"), null);
        assertThat(p.demo().name).isEqualTo("from-env");
        assertThat(p.demo().count).isEqualTo(9);
        assertThat(p.demo().apiToken).isEqualTo("t0k");
        assertThat(p.effective().get("name").where()).isEqualTo("env DEMO_NAME");
        assertThat(p.effective().get("count").layer()).isEqualTo(ConfigLayer.ENV);
    }

    @Test
    void anOptionWithoutAnnotationsForEnvOrFileStillLayers() throws Exception {
        Parsed p = parse(Map.of(), "count = 5\nname = \"filed\"\n");
        assertThat(p.demo().count).isEqualTo(5);
        assertThat(p.demo().name).isEqualTo("filed");
        p = parse(Map.of("LOGWIRE_COUNT", "6"), "count = 5\n", "--name", "flagged");
        assertThat(p.demo().count).isEqualTo(6);
        assertThat(p.demo().name).isEqualTo("flagged");
        p = parse(Map.of(), null);
        assertThat(p.demo().count).isEqualTo(3);
        assertThat(p.demo().name).isEqualTo("anon");
        assertThat(p.effective().get("count").layer()).isEqualTo(ConfigLayer.DEFAULT);
    }

    @Test
    void subcommandOptionsKeepTheirOwnDefaults() throws Exception {
        Parsed p = parse(Map.of("LOGWIRE_NAME", "env-name"), "name = \"file-name\"\n", "sub");
        Sub sub = p.cl().getSubcommands().get("sub").getCommand();
        assertThat(sub.name).isEqualTo("sub-default");
        assertThat(p.demo().name).isEqualTo("file-name"); // its variable is DEMO_NAME
    }

    @Test
    void secretsAreNeverPrintedFromAnyLayerButPathsAre() throws Exception {
        Parsed[] all = {
                parse(Map.of(), null, "--db-password", "hunter2-flag", "--api-token", "tok-flag",
                        "--password-file", "/run/secrets/db"),
                parse(Map.of("LOGWIRE_DB_PASSWORD", "hunter2-env", "LOGWIRE_API_TOKEN", "tok-env",
                        "LOGWIRE_PASSWORD_FILE", "/run/secrets/db"), null),
                parse(Map.of(), "db-password = \"hunter2-file\"\napi-token = \"tok-file\"\n"
                        + "password-file = \"/run/secrets/db\"\n"),
        };
        for (Parsed p : all) {
            assertThat(p.demo().dbPassword).startsWith("hunter2");
            EffectiveConfig e = p.effective();
            for (String text : new String[] {e.toToml(), e.toLogLine()}) {
                assertThat(text).doesNotContain("hunter2").doesNotContain("tok-").doesNotContain("built-in-secret")
                        .contains("<redacted>")
                        .contains("/run/secrets/db");
            }
            assertThat(e.get("db-password").toml()).isEqualTo("\"<redacted>\"");
            assertThat(e.get("client-secret").toml()).isEqualTo("\"<redacted>\"");
            assertThat(e.get("password-file").secret()).isFalse();
        }
        // --help shows defaults, which come from the same layers.
        Parsed p = all[1];
        p.layers().displayMode();
        String help = p.cl().getUsageMessage();
        assertThat(help).doesNotContain("hunter2").doesNotContain("tok-env").doesNotContain("built-in-secret")
                .contains("<redacted>");
    }

    @Test
    void unsetSecretsShowAsUnset() throws Exception {
        EffectiveConfig e = parse(Map.of(), null).effective();
        assertThat(e.get("db-password").toml()).isNull();
        assertThat(e.toToml()).contains("# db-password is not set");
    }

    @Test
    void fileTypesAreChecked() {
        assertThatThrownBy(() -> parse(Map.of(), "count = \"3\"\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("demo.toml:1")
                .hasMessageContaining("expects an integer, not the string \"3\"");
        assertThatThrownBy(() -> parse(Map.of(), "name = [\"a\", \"b\"]\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("single value");
        assertThatThrownBy(() -> parse(Map.of(), "\n\"name\" = 1\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("demo.toml:2")
                .hasMessageContaining("expects a string");
        assertThatThrownBy(() -> parse(Map.of(), "help = true\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'help'");
        assertThatThrownBy(() -> parse(Map.of(), "port = \n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("demo.toml:1")
                .hasMessageContaining("not valid TOML");
    }
}
