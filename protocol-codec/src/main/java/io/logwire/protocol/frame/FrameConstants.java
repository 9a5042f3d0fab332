package io.logwire.protocol.frame;

/**
 * Numbers fixed by the frame layout of PROTOCOL.md section 2.
 *
 * <pre>
 * offset  size  field
 * 0       4     length    u32: bytes that follow this field (6 + body)
 * 4       2     opcode    u16
 * 6       4     streamId  u32
 * 10      n     body
 * </pre>
 */
public final class FrameConstants {
    /** Size of the {@code length} field. */
    public static final int LENGTH_FIELD_SIZE = 4;
    /** Opcode and stream id: the part of {@code length} that is not body. */
    public static final int HEADER_SIZE = 6;
    /** Length field plus header: the bytes before the body. */
    public static final int PREFIX_SIZE = LENGTH_FIELD_SIZE + HEADER_SIZE;
    /** The smallest legal value of {@code length}. */
    public static final int MIN_FRAME_LENGTH = HEADER_SIZE;
    /** Default maximum value of {@code length}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;
    /** Stream id reserved for connection-level errors. */
    public static final int CONNECTION_STREAM = 0;
    /** Default TCP port. */
    public static final int DEFAULT_PORT = 12345;

    private FrameConstants() {
    }
}
