package io.logwire.server.auth;

/** The policy file cannot be read, or is not a valid policy; the message says where and why. */
public final class PolicyException extends Exception {
    public PolicyException(String message) {
        super(message);
    }

    public PolicyException(String message, Throwable cause) {
        super(message, cause);
    }
}
