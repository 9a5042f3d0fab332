package io.logwire.protocol.message;

/**
 * Request opcodes of PROTOCOL.md sections 4 and 6 (version 2 adds UPLOAD_ONCE to AUTH). A request {@code op} is answered by zero or more
 * partial frames {@code 0x4000 | op}, then one final frame {@code 0x8000 | op} or one
 * {@link #ERROR}. Adding a command is one constant here plus its handler.
 */
public enum Opcode {
    UPLOAD(0x0001),
    QUERY(0x0002),
    ECHO(0x0003),
    SEARCH(0x0004),
    DOUBLE(0x0005),
    NEGATE(0x0006),
    STATS(0x0007),
    HELLO(0x0008),
    /** Version 2 (6.2): an upload deduplicated by its batch id. */
    UPLOAD_ONCE(0x0009),
    /** Version 2 (6.3): a query from a sequence number, answered with SEQ_ROWS. */
    QUERY_FROM(0x000A),
    /** Version 2 (6.4): a live tail, answered with SEQ_ROWS until cancelled. */
    TAIL(0x000B),
    /** Version 2 (6.3): ends a streaming request of the same connection. */
    CANCEL(0x000C),
    /** Version 2 (6.5): an aggregate query, answered with a JSON result. */
    AGGREGATE(0x000D),
    /** Version 2 (6.8): a bearer token, answered with the identity and its roles. */
    AUTH(0x000E);

    /** The opcode of an error reply. */
    public static final int ERROR = 0xFFFF;
    /** The opcode of an error reply with a retry hint (version 2, section 6.6). */
    public static final int ERROR_RETRY = 0xFFFE;
    /**
     * The COMPRESSED envelope (version 2, section 6.7): neither a request nor a reply; see
     * {@link io.logwire.protocol.compress}.
     */
    public static final int COMPRESSED = 0x7FFE;
    /** Bit set on a final reply. */
    public static final int FINAL_REPLY_BIT = 0x8000;
    /** Bit set on a partial reply. */
    public static final int PARTIAL_REPLY_BIT = 0x4000;

    private static final Opcode[] BY_CODE;

    static {
        int max = 0;
        for (Opcode op : values()) {
            max = Math.max(max, op.code);
        }
        BY_CODE = new Opcode[max + 1];
        for (Opcode op : values()) {
            if (BY_CODE[op.code] != null) {
                throw new ExceptionInInitializerError("duplicate opcode " + op.code);
            }
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    Opcode(int code) {
        this.code = code;
    }

    /** The first protocol version that has this opcode. */
    public int sinceVersion() {
        return code >= UPLOAD_ONCE.code ? 2 : 1;
    }

    /** The request's u16 opcode. */
    public int code() {
        return code;
    }

    /** Opcode of the final reply: {@code 0x8000 | op}. */
    public int finalReply() {
        return FINAL_REPLY_BIT | code;
    }

    /** Opcode of partial reply frames: {@code 0x4000 | op}. */
    public int partialReply() {
        return PARTIAL_REPLY_BIT | code;
    }

    /** The request opcode for a wire value, or {@code null} if none (reply opcodes included). */
    public static Opcode forRequest(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
