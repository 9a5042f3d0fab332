package io.logwire.protocol.aggregate;

import java.util.Locale;

/** The aggregate functions of PROTOCOL.md 6.5. */
public enum AggregateFunction {
    /** Number of matching entries; takes no field. */
    COUNT,
    /** Sum of a numeric field: exact for the integer fields, double for {@code score}. */
    SUM,
    /** Mean of a numeric field, always a double. */
    AVG,
    /** Smallest value of a numeric field. */
    MIN,
    /** Largest value of a numeric field. */
    MAX;

    /** The keyword, lower case, as the canonical text writes it. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The function named {@code word} (case-insensitive), or {@code null}. */
    public static AggregateFunction lookup(String word) {
        for (AggregateFunction f : values()) {
            if (f.name().equalsIgnoreCase(word)) {
                return f;
            }
        }
        return null;
    }
}
