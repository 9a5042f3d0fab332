package io.logwire.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A parsed scrape in the Prometheus text format: every sample by series, the series written as
 * {@code name{k="v",...}} with the labels sorted by name. Enough for tests; values must parse.
 */
final class PrometheusText {
    final Map<String, Double> samples = new LinkedHashMap<>();
    final Set<String> names = new TreeSet<>();

    static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name;
            TreeMap<String, String> labels = new TreeMap<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                for (String kv : line.substring(brace + 1, close).split(",")) {
                    if (kv.isEmpty()) {
                        continue;
                    }
                    int eq = kv.indexOf('=');
                    labels.put(kv.substring(0, eq), kv.substring(eq + 2, kv.length() - 1));
                }
            } else {
                name = line.substring(0, space);
            }
            double value = Double.parseDouble(line.substring(space + 1).replace("+Inf", "Infinity"));
            p.names.add(name);
            p.samples.put(key(name, labels), value);
        }
        return p;
    }

    static String key(String name, Map<String, String> labels) {
        if (labels.isEmpty()) {
            return name;
        }
        StringBuilder b = new StringBuilder(name).append('{');
        new TreeMap<>(labels).forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }

    /** The sample of {@code name} with these labels (pairs), or 0 if the series is absent. */
    double value(String name, String... labelPairs) {
        TreeMap<String, String> labels = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            labels.put(labelPairs[i], labelPairs[i + 1]);
        }
        return samples.getOrDefault(key(name, labels), 0.0);
    }

    /** The sum over every series of {@code name}. */
    double sum(String name) {
        double s = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String k = e.getKey();
            if (k.equals(name) || k.startsWith(name + "{")) {
                s += e.getValue();
            }
        }
        return s;
    }
}
