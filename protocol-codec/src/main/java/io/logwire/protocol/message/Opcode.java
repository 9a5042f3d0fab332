package io.logwire.protocol.message;

/**
 * Request opcodes of PROTOCOL.md section 4. A request {@code op} is answered by zero or more
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
    HELLO(0x0008);

    /** The opcode of an error reply. */
    public static final int ERROR = 0xFFFF;
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
