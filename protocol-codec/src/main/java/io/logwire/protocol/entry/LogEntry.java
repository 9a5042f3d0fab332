package io.logwire.protocol.entry;

import java.util.Objects;

/**
 * One access-log entry (PROTOCOL.md section 3). Strings are free text; numbers are held in
 * Java types wide enough for their unsigned wire forms and checked against those ranges.
 *
 * @param username     any text
 * @param ip           the client address as text (a host name is fine; never parsed)
 * @param port         u16: 0..65535
 * @param accessTime   u32: 0..4294967295
 * @param dataSent     u32
 * @param dataReceived u32
 * @param score        f32, finite
 * @param server       the server name or address as text
 */
public record LogEntry(String username, String ip, int port, long accessTime, long dataSent, long dataReceived,
                       float score, String server) {
    /** Largest u32. */
    public static final long U32_MAX = 0xFFFF_FFFFL;
    /** Largest u16. */
    public static final int U16_MAX = 0xFFFF;

    public LogEntry {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(ip, "IP");
        Objects.requireNonNull(server, "server");
        if (port < 0 || port > U16_MAX) {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
        checkU32("accessTime", accessTime);
        checkU32("dataSent", dataSent);
        checkU32("dataReceived", dataReceived);
        if (!Float.isFinite(score)) {
            throw new IllegalArgumentException("score must be finite: " + score);
        }
    }

    private static void checkU32(String name, long value) {
        if (value < 0 || value > U32_MAX) {
            throw new IllegalArgumentException(name + " must be 0..4294967295: " + value);
        }
    }
}
