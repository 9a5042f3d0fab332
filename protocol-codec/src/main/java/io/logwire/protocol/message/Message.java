package io.logwire.protocol.message;

/** A decoded frame: every message belongs to one stream (PROTOCOL.md section 2). */
public sealed interface Message permits Request, Reply {
    /** The u32 stream id, held in an {@code int}. */
    int streamId();

    /** The u16 opcode this message has on the wire. */
    int wireOpcode();
}
