package io.logwire.client;

/**
 * The connection could not be made or was lost: refused, timed out, a TLS failure, or closed
 * by the server. {@link #reason()} classifies it; the message names the cause in words and
 * says what to do about it.
 */
public final class ConnectionException extends LogwireException {
    /** What went wrong. */
    public enum Reason {
        /** Nothing listens at the address. */
        CONNECTION_REFUSED,
        /** The host name does not resolve. */
        UNKNOWN_HOST,
        /** Connecting, the TLS handshake or HELLO took longer than the timeout. */
        TIMEOUT,
        /** The server's certificate is not signed by a trusted CA (nor trusted itself). */
        UNTRUSTED_CERTIFICATE,
        /** The server's certificate does not name the host we connected to. */
        HOSTNAME_MISMATCH,
        /** The server's certificate (or one in its chain) has expired. */
        CERTIFICATE_EXPIRED,
        /** The server's certificate (or one in its chain) is not valid yet. */
        CERTIFICATE_NOT_YET_VALID,
        /** TLS was expected but the server answered in plaintext. */
        PLAINTEXT_SERVER,
        /** Plaintext was asked for but the server speaks TLS. */
        TLS_SERVER,
        /** The server refused our client certificate, or required one we did not send. */
        CLIENT_CERTIFICATE_REJECTED,
        /** Another TLS failure. */
        TLS_FAILURE,
        /** The server refused the connection with an error on stream 0 (e.g. OVERLOADED). */
        SERVER_REFUSED,
        /** The server sent something this client cannot decode. */
        PROTOCOL_ERROR,
        /** The connection was closed or reset. */
        CLOSED,
        /** The server refused the bearer token (ERROR UNAUTHORIZED to AUTH, PROTOCOL.md 6.8). */
        AUTH_REFUSED
    }

    private final Reason reason;

    public ConnectionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ConnectionException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
