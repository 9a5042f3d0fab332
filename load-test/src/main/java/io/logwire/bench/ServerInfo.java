package io.logwire.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logwire.client.LogwireClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The server's STATS (PROTOCOL.md section 4) and, given its PID, its resident memory from /proc. */
record ServerInfo(JsonNode stats) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ServerInfo fetch(ConnectOptions target) {
        try (LogwireClient c = LogwireClient.connect(target.builder().build())) {
            return of(c);
        }
    }

    static ServerInfo of(LogwireClient c) {
        try {
            return new ServerInfo(JSON.readTree(c.sync().stats()));
        } catch (IOException e) {
            throw new IllegalStateException("STATS is not JSON: " + e.getMessage(), e);
        }
    }

    long entriesStored() {
        return stats.path("entriesStored").asLong(-1);
    }

    long connectionsOpen() {
        return stats.path("connectionsOpen").asLong(-1);
    }

    String fsync() {
        return stats.path("fsync").asText("?");
    }

    /** Puts the server's version, fsync policy and store size into the result. */
    void describe(BenchResult r, String key) {
        ObjectNode o = r.json().putObject(key);
        o.put("version", stats.path("serverVersion").asText());
        o.put("fsync", fsync());
        o.put("tls", stats.path("tls").asBoolean());
        o.put("entriesStoredBefore", entriesStored());
        r.line("server %s, fsync %s, %,d entries stored before the run", stats.path("serverVersion").asText(), fsync(),
                entriesStored());
    }

    /** VmRSS of {@code pid} in KiB, or -1 if unreadable. */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
