package io.logwire.protocol.message;

/**
 * Error codes of PROTOCOL.md section 4 (and 6.6). A fatal error closes the connection once
 * its frame is sent; a retriable one may succeed when the same request is sent again later.
 */
public enum ErrorCode {
    MALFORMED_FRAME(1, true, false),
    FRAME_TOO_LARGE(2, true, false),
    UNKNOWN_OPCODE(3, false, false),
    INVALID_REQUEST(4, false, false),
    INVALID_QUERY(5, false, false),
    OVERFLOW(6, false, false),
    UNSUPPORTED_VERSION(7, true, false),
    STORAGE_ERROR(8, false, true),
    OVERLOADED(9, false, true),
    UNAUTHORIZED(10, false, false),
    SHUTTING_DOWN(11, false, true),
    INTERNAL(12, false, false),
    CANCELLED(13, false, false);

    private static final ErrorCode[] BY_CODE = new ErrorCode[14];

    static {
        for (ErrorCode c : values()) {
            if (BY_CODE[c.code] != null) {
                throw new ExceptionInInitializerError("duplicate error code " + c.code);
            }
            BY_CODE[c.code] = c;
        }
    }

    private final int code;
    private final boolean fatal;
    private final boolean retriable;

    ErrorCode(int code, boolean fatal, boolean retriable) {
        this.code = code;
        this.fatal = fatal;
        this.retriable = retriable;
    }

    /** The u16 sent on the wire. */
    public int code() {
        return code;
    }

    /** Whether the connection is closed after this error. */
    public boolean isFatal() {
        return fatal;
    }

    /** Whether a later retry of the same request may succeed (on this server or another). */
    public boolean isRetriable() {
        return retriable;
    }

    /** The error code for a wire value, or {@code null} for a code this version does not know. */
    public static ErrorCode fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
