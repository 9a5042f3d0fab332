package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.netty.buffer.ByteBuf;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The eight entry fields under their canonical names (PROTOCOL.md section 3). */
public enum Field {
    USERNAME("username", false),
    IP("IP", false),
    PORT("port", true),
    ACCESS_TIME("accessTime", true),
    DATA_SENT("dataSent", true),
    DATA_RECEIVED("dataReceived", true),
    SCORE("score", true),
    SERVER("server", false);

    private static final Map<String, Field> BY_LOWER_NAME = Stream.of(values())
            .collect(Collectors.toUnmodifiableMap(f -> f.canonicalName.toLowerCase(Locale.ROOT), Function.identity()));

    private final String canonicalName;
    private final boolean numeric;

    Field(String canonicalName, boolean numeric) {
        this.canonicalName = canonicalName;
        this.numeric = numeric;
    }

    /** The name used by the filter language, the CLI, CSV headers and JSON. */
    public String canonicalName() {
        return canonicalName;
    }

    public boolean isNumeric() {
        return numeric;
    }

    /** The field named {@code name}, compared case-insensitively, or {@code null}. */
    public static Field lookup(String name) {
        return BY_LOWER_NAME.get(name.toLowerCase(Locale.ROOT));
    }

    /** The value of a string field. */
    public String stringValue(LogEntry e) {
        return switch (this) {
            case USERNAME -> e.username();
            case IP -> e.ip();
            case SERVER -> e.server();
            default -> throw new IllegalStateException(this + " is numeric");
        };
    }

    /** The value of a numeric field, widened exactly to a double. */
    public double numericValue(LogEntry e) {
        return switch (this) {
            case PORT -> e.port();
            case ACCESS_TIME -> e.accessTime();
            case DATA_SENT -> e.dataSent();
            case DATA_RECEIVED -> e.dataReceived();
            case SCORE -> e.score();
            default -> throw new IllegalStateException(this + " is a string");
        };
    }

    /** The value of a numeric field of an encoded entry whose fixed fields start at {@code fixed}. */
    double numericValueAt(ByteBuf buf, int fixed) {
        return switch (this) {
            case PORT -> buf.getUnsignedShort(fixed + LogEntryCodec.PORT_OFFSET);
            case ACCESS_TIME -> buf.getUnsignedInt(fixed + LogEntryCodec.ACCESS_TIME_OFFSET);
            case DATA_SENT -> buf.getUnsignedInt(fixed + LogEntryCodec.DATA_SENT_OFFSET);
            case DATA_RECEIVED -> buf.getUnsignedInt(fixed + LogEntryCodec.DATA_RECEIVED_OFFSET);
            case SCORE -> buf.getFloat(fixed + LogEntryCodec.SCORE_OFFSET);
            default -> throw new IllegalStateException(this + " is a string");
        };
    }
}
