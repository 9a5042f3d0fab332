package io.logwire.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picocli default provider for every option of a top-level command, with the precedence flags >
 * environment > file > built-in defaults. Picocli asks it for each option the command line
 * did not set; it answers from the environment map, then the {@link ConfigFile}, then the
 * option's own default, and remembers which layer answered. Nothing here names an option:
 * an option added to the command works from the environment and the file at once.
 *
 * <p>An option's environment variable is the one its {@code defaultValue} names
 * ({@code ${env:LOGWIRE_PORT:-7000}}, whose built-in default is then {@code 7000}); without
 * one it is {@code LOGWIRE_} plus the long name in upper case with dashes as underscores.
 * The environment is a map so tests can inject it. An option whose default names an
 * environment variable without a fallback and that no layer sets falls back to picocli's own
 * interpolation of that default, which reads the real process environment.
 */
public final class ConfigLayers implements CommandLine.IDefaultValueProvider {
    /** Replaces a secret's value wherever configuration is shown. */
    public static final String REDACTED = "<redacted>";
    static final String ENV_PREFIX = "LOGWIRE_";
    private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)(?::-(.*))?}",
            Pattern.DOTALL);
    private static final List<String> SECRET_WORDS = List.of("password", "secret", "token");

    private final Map<String, String> env;
    private final ConfigFile file;
    private final Set<String> notInFile;
    private final Map<String, Origin> origins = new HashMap<>();
    private volatile boolean forDisplay;

    /** Where a value the provider supplied came from: its layer, a description, the raw text. */
    public record Origin(ConfigLayer layer, String where, String raw) {
    }

    /**
     * @param env       the environment ({@code System.getenv()} in production)
     * @param file      the configuration file, or null
     * @param notInFile keys that the file may not set (e.g. {@code config} itself)
     */
    public ConfigLayers(Map<String, String> env, ConfigFile file, Set<String> notInFile) {
        this.env = Map.copyOf(env);
        this.file = file;
        this.notInFile = Set.copyOf(notInFile);
    }

    public ConfigFile file() {
        return file;
    }

    /** The configuration-file key of an option: its longest name without leading dashes. */
    public static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    /** Whether an option holds a secret: its name says password, secret or token and it is not a file path. */
    public static boolean isSecret(OptionSpec option) {
        String key = key(option).toLowerCase(Locale.ROOT);
        Class<?> type = option.type();
        if (Path.class.isAssignableFrom(type) || File.class.isAssignableFrom(type)) {
            return false;
        }
        for (String word : SECRET_WORDS) {
            if (key.contains(word)) {
                return true;
            }
        }
        return false;
    }

    /** The environment variable that sets {@code option}. */
    public static String envName(OptionSpec option) {
        Matcher m = ENV_DEFAULT.matcher(nullToEmpty(declaredDefault(option)));
        if (m.matches()) {
            return m.group(1);
        }
        return ENV_PREFIX + key(option).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Whether an option is configuration (not --help/--version). */
    public static boolean configurable(OptionSpec option) {
        return !option.usageHelp() && !option.versionHelp();
    }

    /**
     * After parsing, help texts show a secret's default as {@link #REDACTED}: picocli asks the
     * provider again when it renders {@code --help}.
     */
    public void displayMode() {
        forDisplay = true;
    }

    /**
     * Checks the file against {@code spec}'s options: every key must be an option this file may
     * set, of a fitting TOML type (booleans for switches, integers for plain numbers, strings for
     * text and paths, arrays only for options taking several values, never tables).
     */
    public void checkFile(CommandSpec spec) throws ConfigException {
        if (file == null) {
            return;
        }
        Map<String, OptionSpec> byKey = new HashMap<>();
        for (OptionSpec o : spec.options()) {
            if (configurable(o)) {
                byKey.put(key(o), o);
            }
        }
        for (Map.Entry<String, JsonNode> e : file.values().entrySet()) {
            String key = e.getKey();
            OptionSpec o = byKey.get(key);
            if (o == null || notInFile.contains(key)) {
                String why = o == null ? "unknown key '" + key + "' (keys are the long option names of --help "
                        + "without the dashes)" : "'" + key + "' cannot be set in the configuration file";
                throw new ConfigException("configuration file " + file.where(key) + ": " + why);
            }
            String problem = typeProblem(o, e.getValue());
            if (problem != null) {
                throw new ConfigException("configuration file " + file.where(key) + ": key '" + key + "': "
                        + problem);
            }
        }
    }

    private static String typeProblem(OptionSpec o, JsonNode v) {
        if (v.isObject()) {
            return "a table is not allowed here; keys are top-level option names";
        }
        if (v.isArray()) {
            if (!o.isMultiValue()) {
                return "takes a single value, not an array";
            }
            if (v.size() > 1 && (o.splitRegex() == null || o.splitRegex().isEmpty())) {
                return "takes one value here, not an array of " + v.size();
            }
            for (JsonNode item : v) {
                if (item.isContainerNode()) {
                    return "array items must be plain values";
                }
            }
            return null;
        }
        Class<?> type = o.isMultiValue() ? String.class : o.type();
        boolean converted = o.converters() != null && o.converters().length > 0;
        if (type == boolean.class || type == Boolean.class) {
            return v.isBoolean() ? null : "expects true or false, not " + describe(v);
        }
        if (!converted && (type == int.class || type == Integer.class || type == long.class || type == Long.class)) {
            return v.isIntegralNumber() ? null : "expects an integer, not " + describe(v);
        }
        if (type == String.class || Path.class.isAssignableFrom(type) || File.class.isAssignableFrom(type)
                || type.isEnum()) {
            return v.isTextual() ? null : "expects a string, not " + describe(v);
        }
        return v.isTextual() || v.isNumber() ? null : "expects a string or a number, not " + describe(v);
    }

    private static String describe(JsonNode v) {
        return v.isTextual() ? "the string \"" + v.asText() + "\"" : v.isBoolean() ? "the boolean " + v.asText()
                : v.isNumber() ? "the number " + v.asText() : v.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || !configurable(o)) {
            return null;
        }
        if (o.command() != null && o.command().parent() != null) {
            return null; // a subcommand's option (picocli hands the provider down): its own defaults apply
        }
        String key = key(o);
        String envName = envName(o);
        Origin origin;
        String fromEnv = env.get(envName);
        if (fromEnv != null) {
            origin = new Origin(ConfigLayer.ENV, "env " + envName, fromEnv);
        } else if (file != null && !notInFile.contains(key) && file.values().containsKey(key)) {
            origin = new Origin(ConfigLayer.FILE, "file " + file.where(key), text(o, file.values().get(key)));
        } else {
            origin = new Origin(ConfigLayer.DEFAULT, "default", builtInDefault(o));
        }
        synchronized (origins) {
            origins.put(key, origin);
        }
        if (origin.raw() == null) {
            return null;
        }
        if (forDisplay && isSecret(o)) {
            return REDACTED;
        }
        // Picocli interpolates what a provider returns; values are literal.
        return origin.raw().replace("${", "$${");
    }

    /** The layer that supplied {@code option}'s default, as last asked; null if never asked. */
    public Origin origin(OptionSpec option) {
        synchronized (origins) {
            return origins.get(key(option));
        }
    }

    /** The option's default without its environment lookup; null when it has none. */
    private static String builtInDefault(OptionSpec o) {
        String d = declaredDefault(o);
        if (d == null) {
            return null;
        }
        Matcher m = ENV_DEFAULT.matcher(d);
        if (m.matches()) {
            return m.group(2);
        }
        return d;
    }

    /** A file value as the command-line text picocli converts; arrays joined with the option's split. */
    private static String text(OptionSpec o, JsonNode v) {
        if (!v.isArray()) {
            return v.asText();
        }
        String split = o.splitRegex();
        String sep = split == null || split.isEmpty() ? "," : split.replace("\\", "");
        List<String> items = new ArrayList<>();
        for (JsonNode item : v) {
            items.add(item.asText());
        }
        return String.join(sep, items);
    }

    /** The default as declared, before picocli's {@code ${env:...}} interpolation. */
    private static String declaredDefault(OptionSpec o) {
        CommandSpec command = o.command();
        if (command == null) {
            return o.defaultValue();
        }
        boolean interpolate = command.interpolateVariables();
        command.interpolateVariables(false);
        try {
            return o.defaultValue();
        } finally {
            command.interpolateVariables(interpolate);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
