package io.logwire.protocol.compress;

import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;
import java.util.function.Predicate;

/**
 * Writes {@link Message}s as frames like {@link io.logwire.protocol.codec.MessageEncoder}, and
 * sends chosen ones inside a COMPRESSED frame (PROTOCOL.md 6.7) once a codec has been
 * negotiated ({@link #codec(CompressionCodec)}): only messages that {@code eligible} accepts,
 * whose frame is at least {@code threshold} bytes, and only when compression makes the frame
 * smaller; everything else goes out as {@code MessageEncoder} would send it, zero-copy paths
 * included. Use it in place of {@code MessageEncoder}. One instance per channel; the codec may
 * be switched from any thread.
 */
public final class CompressingMessageEncoder extends MessageToMessageEncoder<Message> {
    /** The handler's name in a pipeline. */
    public static final String NAME = "compressingEncoder";
    /** Default smallest frame worth compressing: below this, the envelope and the CPU cost more than they save. */
    public static final int DEFAULT_THRESHOLD = 1024;

    private final int threshold;
    private final Predicate<Message> eligible;
    private volatile CompressionCodec codec;
    private long framesCompressed;
    private long bytesBefore;
    private long bytesAfter;

    /** Compresses every message of at least {@link #DEFAULT_THRESHOLD} bytes once a codec is set. */
    public CompressingMessageEncoder() {
        this(DEFAULT_THRESHOLD, m -> true);
    }

    /**
     * @param threshold smallest whole frame (length field included) to compress
     * @param eligible  which messages may be compressed (e.g. only ROWS and SEQ_ROWS)
     */
    public CompressingMessageEncoder(int threshold, Predicate<Message> eligible) {
        super(Message.class);
        if (threshold < 0) {
            throw new IllegalArgumentException("threshold must be >= 0: " + threshold);
        }
        this.threshold = threshold;
        this.eligible = eligible;
    }

    /** Sets the codec to compress with ({@code null} = none, the initial state). */
    public CompressingMessageEncoder codec(CompressionCodec codec) {
        this.codec = codec;
        return this;
    }

    public CompressionCodec codec() {
        return codec;
    }

    /** Frames sent compressed so far (event-loop thread only). */
    public long framesCompressed() {
        return framesCompressed;
    }

    /** Bytes of the frames sent compressed, before and after compression (event-loop thread only). */
    public long[] compressedBytesBeforeAndAfter() {
        return new long[] {bytesBefore, bytesAfter};
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message msg, List<Object> out) {
        CompressionCodec c = codec;
        if (c == null || !eligible.test(msg)) {
            MessageCodec.encode(msg, ctx.alloc(), out);
            return;
        }
        ByteBuf frame = MessageCodec.encode(msg, ctx.alloc());
        if (frame.readableBytes() < threshold) {
            out.add(frame);
            return;
        }
        ByteBuf compressed;
        try {
            compressed = CompressedFrames.wrap(frame, c, ctx.alloc());
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        if (compressed == null) {
            out.add(frame); // no gain
            return;
        }
        framesCompressed++;
        bytesBefore += frame.readableBytes();
        bytesAfter += compressed.readableBytes();
        frame.release();
        out.add(compressed);
    }
}
