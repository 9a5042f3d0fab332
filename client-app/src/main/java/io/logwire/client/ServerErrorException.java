package io.logwire.client;

import io.logwire.protocol.message.ErrorCode;

/**
 * The server answered a request with an {@code ERROR} frame (PROTOCOL.md section 4). Carries
 * the raw code, so codes newer than this client survive, and whether a retry may succeed.
 */
public class ServerErrorException extends LogwireException {
    private final int code;
    private final String serverMessage;
    private final int streamId;

    public ServerErrorException(int code, String serverMessage, int streamId) {
        super(describe(code) + ": " + serverMessage);
        this.code = code;
        this.serverMessage = serverMessage;
        this.streamId = streamId;
    }

    private static String describe(int code) {
        ErrorCode known = ErrorCode.fromCode(code);
        return known != null ? known.name() : "error code " + code;
    }

    /** The u16 error code as sent by the server. */
    public int code() {
        return code;
    }

    /** The known error code, or {@code null} for a code this client does not know. */
    public ErrorCode errorCode() {
        return ErrorCode.fromCode(code);
    }

    /** The server's message for people. */
    public String serverMessage() {
        return serverMessage;
    }

    /** The stream the error arrived on (0 for a connection-level error). */
    public int streamId() {
        return streamId;
    }

    /** Whether sending the same request again later may succeed (OVERLOADED, SHUTTING_DOWN, STORAGE_ERROR). */
    public boolean isRetriable() {
        ErrorCode known = errorCode();
        return known != null && known.isRetriable();
    }

    /** Whether the server closes the connection after this error. */
    public boolean isFatal() {
        ErrorCode known = errorCode();
        return known != null && known.isFatal();
    }

    /**
     * The exception for an {@code ERROR} or {@code ERROR_RETRY} reply, or null if {@code reply}
     * is neither.
     */
    static ServerErrorException of(io.logwire.protocol.message.Reply reply) {
        if (reply instanceof io.logwire.protocol.message.Reply.Error e) {
            return new ServerErrorException(e.code(), e.message(), e.streamId());
        }
        if (reply instanceof io.logwire.protocol.message.Reply.ErrorRetry e) {
            return new RetryLaterException(e.code(), e.message(), e.streamId(),
                    java.time.Duration.ofMillis(e.retryAfterMillis()));
        }
        return null;
    }

    /** How long the server asked to wait before retrying; zero when it gave no hint (a plain ERROR). */
    public java.time.Duration retryAfter() {
        return java.time.Duration.ZERO;
    }
}
