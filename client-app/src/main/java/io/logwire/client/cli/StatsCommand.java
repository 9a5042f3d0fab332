package io.logwire.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.client.LogwireClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Map;

/** {@code logwire stats}: the server's figures, readable or as the raw JSON object. */
@Command(name = "stats", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print the server's statistics (STATS): one figure per line, or the raw JSON.")
final class StatsCommand extends ConnectedCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "Print the JSON object exactly as the server sent it.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (LogwireClient client = connect()) {
            String text = client.sync().stats();
            if (json) {
                main.out.println(text);
            } else {
                print(JSON.readTree(text), main.out);
            }
            return ExitCodes.OK;
        }
    }

    /** One {@code name  value} line per member, nested objects indented; bytes and milliseconds also in human units. */
    static void print(JsonNode node, PrintWriter out) {
        print(node, out, "", width(node));
    }

    private static int width(JsonNode node) {
        int w = 0;
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            w = Math.max(w, m.getKey().length());
        }
        return w;
    }

    private static void print(JsonNode node, PrintWriter out, String indent, int width) {
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            JsonNode v = m.getValue();
            if (v.isObject()) {
                out.println(indent + m.getKey() + ":");
                print(v, out, indent + "  ", width(v));
                continue;
            }
            String text = v.isTextual() ? v.asText() : v.toString();
            String human = human(m.getKey(), v);
            out.println(indent + String.format("%-" + Math.max(1, width) + "s  %s%s", m.getKey(), text,
                    human == null ? "" : "  (" + human + ")"));
        }
    }

    private static String human(String key, JsonNode v) {
        if (!v.isIntegralNumber()) {
            return null;
        }
        long n = v.asLong();
        String k = key.toLowerCase(java.util.Locale.ROOT);
        if (k.startsWith("bytes") || k.endsWith("bytes") || k.endsWith("ondisk")) {
            return n < 1024 ? null : bytes(n);
        }
        if (k.endsWith("millis")) {
            return duration(n);
        }
        return null;
    }

    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double d = n;
        int u = 0;
        while (d >= 1024 && u < units.length - 1) {
            d /= 1024;
            u++;
        }
        return String.format("%.1f %s", d, units[u]);
    }

    static String duration(long ms) {
        long s = ms / 1000;
        if (s < 60) {
            return String.format("%.1f s", ms / 1000.0);
        }
        long d = s / 86400;
        long h = s % 86400 / 3600;
        long m = s % 3600 / 60;
        return (d > 0 ? d + "d " : "") + (d > 0 || h > 0 ? h + "h " : "") + m + "m " + s % 60 + "s";
    }
}
