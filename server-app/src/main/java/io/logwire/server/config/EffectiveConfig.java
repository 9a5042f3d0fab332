package io.logwire.server.config;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Every option's effective value and the layer it came from, with secrets redacted: what
 * {@code --print-config} prints (as a TOML file that works as {@code --config}) and what the
 * server logs when it starts.
 */
public final class EffectiveConfig {
    private final List<Entry> entries;

    /** One option: its file key, its value as TOML (null when unset), its layer and where exactly. */
    public record Entry(String key, String toml, ConfigLayer layer, String where, boolean secret) {
    }

    private EffectiveConfig(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Collects the effective configuration of a parsed command.
     *
     * @param skip keys that are not configuration (e.g. {@code print-config})
     */
    public static EffectiveConfig of(CommandSpec spec, ParseResult parsed, ConfigLayers layers, Set<String> skip) {
        List<Entry> entries = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String key = ConfigLayers.key(o);
            if (!ConfigLayers.configurable(o) || skip.contains(key)) {
                continue;
            }
            ConfigLayer layer;
            String where;
            String raw;
            if (parsed != null && parsed.hasMatchedOption(o)) {
                layer = ConfigLayer.FLAG;
                where = "flag " + o.longestName();
                List<String> given = o.originalStringValues();
                raw = given.isEmpty() ? null : o.isMultiValue() ? String.join(",", given) : given.get(given.size() - 1);
            } else {
                ConfigLayers.Origin origin = layers.origin(o);
                layer = origin == null ? ConfigLayer.DEFAULT : origin.layer();
                where = origin == null ? "default" : origin.where();
                raw = origin == null ? null : origin.raw();
            }
            boolean secret = ConfigLayers.isSecret(o);
            entries.add(new Entry(key, toml(o, o.getValue(), raw, secret), layer, where, secret));
        }
        return new EffectiveConfig(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The entry for {@code key}, or null. */
    public Entry get(String key) {
        for (Entry e : entries) {
            if (e.key().equals(key)) {
                return e;
            }
        }
        return null;
    }

    /** A TOML file with every option, each commented with its layer; unset options are commented out. */
    public String toToml() {
        StringBuilder sb = new StringBuilder();
        sb.append("# logwire-server effective configuration; precedence: flag > env > file > default\n");
        for (Entry e : entries) {
            String line = e.toml() == null ? "# " + e.key() + " is not set" : e.key() + " = " + e.toml();
            sb.append(line);
            sb.append(" ".repeat(Math.max(1, 44 - line.length())));
            sb.append("# ").append(e.where()).append('\n');
        }
        return sb.toString();
    }

    /** One line for the start-up log: {@code key=value (layer), ...}. */
    public String toLogLine() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(e.key()).append('=').append(e.toml() == null ? "-" : e.toml())
                    .append(" (").append(e.where()).append(')');
        }
        return sb.toString();
    }

    /** A value as TOML: numbers and booleans bare, lists as arrays, everything else (sizes, durations) as given. */
    private static String toml(OptionSpec o, Object value, String raw, boolean secret) {
        if (value == null) {
            return null;
        }
        if (secret) {
            return quote(ConfigLayers.REDACTED);
        }
        if (value instanceof Collection<?> c) {
            if (c.isEmpty() && raw == null) {
                return null;
            }
            List<String> items = new ArrayList<>();
            for (Object item : c) {
                items.add(quote(String.valueOf(item)));
            }
            return "[" + String.join(", ", items) + "]";
        }
        if (value instanceof Boolean) {
            return value.toString();
        }
        if (value instanceof Number) {
            return raw != null && !raw.trim().matches("-?\\d+") ? quote(raw.trim()) : value.toString();
        }
        return quote(raw != null ? raw : value.toString());
    }

    /** A TOML basic string. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
