package io.logwire.server.config;

/** The server's log format: {@code --log-format}. */
public enum LogFormat {
    /** One readable line per event (logback.xml's pattern); key/value fields appended as {@code key="value"}. */
    HUMAN,
    /** One JSON object per line (logback's JsonEncoder); key/value fields in {@code kvpList}. */
    JSON
}
