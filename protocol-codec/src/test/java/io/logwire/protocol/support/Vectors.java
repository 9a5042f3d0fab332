package io.logwire.protocol.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.entry.LogEntry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The byte-exact examples of PROTOCOL.md ({@code vectors.json}, {@code vectors-v2.json}),
 * read from the test classpath, where they are unchanged copies of {@code shared/protocol}.
 */
public final class Vectors {
    public static final String V1_RESOURCE = "vectors.json";
    public static final String V2_RESOURCE = "vectors-v2.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNode V1 = read(V1_RESOURCE);
    private static final JsonNode V2 = read(V2_RESOURCE);
    private static final List<LogEntry> ENTRIES;
    private static final List<String> ENTRY_HEX;

    static {
        List<LogEntry> entries = new ArrayList<>();
        List<String> hex = new ArrayList<>();
        for (JsonNode e : V1.get("entries")) {
            if (e.get("index").asInt() != entries.size()) {
                throw new IllegalStateException("vectors.json entries are not in index order");
            }
            entries.add(entry(e.get("fields")));
            hex.add(e.get("hex").asText());
        }
        ENTRIES = Collections.unmodifiableList(entries);
        ENTRY_HEX = Collections.unmodifiableList(hex);
    }

    private Vectors() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static JsonNode v1() {
        return V1;
    }

    public static JsonNode v2() {
        return V2;
    }

    /** The raw bytes of a classpath resource. */
    public static byte[] resourceBytes(String name) {
        try (InputStream in = Vectors.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String name) {
        try {
            return MAPPER.readTree(resourceBytes(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The elements of a JSON array as a stream. */
    public static Stream<JsonNode> stream(JsonNode array) {
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new IllegalStateException("expected a non-empty array of vectors: " + array);
        }
        return StreamSupport.stream(array.spliterator(), false);
    }

    /** The vectors' entries, in index order. */
    public static List<LogEntry> entries() {
        return ENTRIES;
    }

    /** Hex of each entry, in index order. */
    public static List<String> entryHex() {
        return ENTRY_HEX;
    }

    /**
     * The entry a vector's {@code fields} document; the score comes from {@code scoreBits},
     * the exact binary32 (the decimal {@code score} is only a reading aid).
     */
    public static LogEntry entry(JsonNode f) {
        return new LogEntry(f.get("username").asText(), f.get("IP").asText(), f.get("port").asInt(),
                f.get("accessTime").asLong(), f.get("dataSent").asLong(), f.get("dataReceived").asLong(),
                Float.intBitsToFloat(Integer.parseUnsignedInt(f.get("scoreBits").asText(), 16)),
                f.get("server").asText());
    }

    /** A vector's u16 opcode, written {@code "0x8001"} in the JSON. */
    public static int opcode(JsonNode vector) {
        return Integer.decode(vector.get("opcode").asText());
    }

    public static byte[] bytes(JsonNode vector) {
        return Hex.bytes(vector.get("hex").asText());
    }

    /** The vector of {@code section} (an array of objects with a name) called {@code name}. */
    public static JsonNode named(JsonNode section, String name) {
        return stream(section).filter(v -> v.get("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no vector named " + name));
    }
}
