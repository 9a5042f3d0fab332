package io.logwire.client.support;

import io.logwire.protocol.entry.LogEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Deterministic test entries. */
public final class Entries {
    private static final String[] NAMES = {"alice", "bob", "José", "Zoë", "Łukasz", "明", "Søren", "Ярослав", "🙂 smile"};

    private Entries() {
    }

    /** {@code n} entries for user {@code prefix + k}; usernames are unique to the prefix, so queries can isolate them. */
    public static List<LogEntry> of(String prefix, int n, long seed) {
        Random r = new Random(seed);
        List<LogEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new LogEntry(prefix + NAMES[i % NAMES.length], "10.0." + r.nextInt(256) + "." + r.nextInt(256),
                    r.nextInt(65536), 1_700_000_000L + i, r.nextInt(1 << 20), r.nextInt(1 << 20),
                    r.nextInt(10_000) / 100f, "web-" + (i % 4)));
        }
        return out;
    }
}
