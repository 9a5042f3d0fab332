package io.logwire.client;

/** The client's own set-up is unusable: a missing or unreadable certificate, key or CA file, or contradictory options. */
public final class ConfigurationException extends LogwireException {
    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
