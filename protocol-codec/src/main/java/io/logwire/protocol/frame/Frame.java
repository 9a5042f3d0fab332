package io.logwire.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One frame of PROTOCOL.md section 2 without its length field: opcode, stream id and body.
 * The body is reference counted; whoever holds the frame releases it.
 */
public final class Frame extends DefaultByteBufHolder {
    private final int opcode;
    private final int streamId;

    /**
     * @param opcode   u16 opcode
     * @param streamId u32 stream id, held in an {@code int} (see {@link Integer#toUnsignedLong})
     * @param body     the body; ownership passes to the frame
     */
    public Frame(int opcode, int streamId, ByteBuf body) {
        super(body);
        if ((opcode & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("opcode is a u16: " + opcode);
        }
        this.opcode = opcode;
        this.streamId = streamId;
    }

    public int opcode() {
        return opcode;
    }

    public int streamId() {
        return streamId;
    }

    /** The body's readable bytes. */
    public ByteBuf body() {
        return content();
    }

    @Override
    public Frame replace(ByteBuf content) {
        return new Frame(opcode, streamId, content);
    }

    @Override
    public Frame retain() {
        super.retain();
        return this;
    }

    @Override
    public Frame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public Frame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return String.format("Frame[opcode=0x%04x, stream=%d, body=%d bytes]",
                opcode, Integer.toUnsignedLong(streamId), content().readableBytes());
    }
}
