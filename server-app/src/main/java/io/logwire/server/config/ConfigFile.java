package io.logwire.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TOML configuration file read with jackson-dataformat-toml: top-level keys named like the
 * long options without dashes ({@code port = 7000}, {@code data-dir = "/var/lib/logwire"}).
 * Keeps each key's line so errors can point at it (the TOML reader only reports lines for
 * syntax errors).
 */
public final class ConfigFile {
    private static final TomlMapper TOML = new TomlMapper();
    /** A top-level {@code key =} line: bare, "basic" or 'literal' key. */
    private static final Pattern KEY_LINE =
            Pattern.compile("^\\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))\\s*=");
    private static final Pattern TABLE_LINE = Pattern.compile("^\\s*\\[");

    private final Path path;
    private final Map<String, JsonNode> values;
    private final Map<String, Integer> lines;

    private ConfigFile(Path path, Map<String, JsonNode> values, Map<String, Integer> lines) {
        this.path = path;
        this.values = values;
        this.lines = lines;
    }

    /** Reads and parses {@code path}. */
    public static ConfigFile load(Path path) throws ConfigException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + path + ": no such file");
        } catch (MalformedInputException e) {
            throw new ConfigException("configuration file " + path + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException("configuration file " + path + ": cannot read: " + e.getMessage(), e);
        }
        return parse(path, text);
    }

    /** Parses {@code text} as if read from {@code path}. */
    public static ConfigFile parse(Path path, String text) throws ConfigException {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JacksonException e) {
            JsonLocation loc = e.getLocation();
            String line = loc != null && loc.getLineNr() > 0 ? ":" + loc.getLineNr() : "";
            throw new ConfigException("configuration file " + path + line + ": not valid TOML: "
                    + e.getOriginalMessage(), e);
        }
        Map<String, Integer> lines = keyLines(text);
        Map<String, JsonNode> values = new LinkedHashMap<>();
        if (root != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                values.put(e.getKey(), e.getValue());
            }
        }
        return new ConfigFile(path, Collections.unmodifiableMap(values), lines);
    }

    private static Map<String, Integer> keyLines(String text) {
        Map<String, Integer> lines = new HashMap<>();
        String[] all = text.split("\\R", -1);
        for (int i = 0; i < all.length; i++) {
            if (TABLE_LINE.matcher(all[i]).find()) {
                break; // keys after a [table] header are not top-level
            }
            Matcher m = KEY_LINE.matcher(all[i]);
            if (m.find()) {
                String key = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                lines.putIfAbsent(key, i + 1);
            }
        }
        return lines;
    }

    public Path path() {
        return path;
    }

    /** The top-level keys and their values, in file order. */
    public Map<String, JsonNode> values() {
        return values;
    }

    /** Where {@code key} is, for messages: {@code file:line} or just the file. */
    public String where(String key) {
        Integer line = lines.get(key);
        return line == null ? path.toString() : path + ":" + line;
    }
}
