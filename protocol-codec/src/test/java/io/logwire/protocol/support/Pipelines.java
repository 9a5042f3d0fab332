package io.logwire.protocol.support;

import io.logwire.protocol.codec.ReplyDecoder;
import io.logwire.protocol.codec.RequestDecoder;
import io.logwire.protocol.frame.FrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Embedded pipelines as the server and the client build them, for feeding bytes in tests. */
public final class Pipelines {
    private Pipelines() {
    }

    /** {@code FrameDecoder(max)}, then {@code decoder}, then {@code tail} (none when null), buffers from {@code alloc}. */
    public static EmbeddedChannel channel(int maxFrameLength, ChannelHandler decoder, TrackingAllocator alloc,
                                          ChannelHandler tail) {
        EmbeddedChannel ch = tail == null
                ? new EmbeddedChannel(new FrameDecoder(maxFrameLength), decoder)
                : new EmbeddedChannel(new FrameDecoder(maxFrameLength), decoder, tail);
        ch.config().setAllocator(alloc);
        return ch;
    }

    /** The server's inbound side: frames, then requests. */
    public static EmbeddedChannel requests(int maxFrameLength, TrackingAllocator alloc, ChannelHandler tail) {
        return channel(maxFrameLength, RequestDecoder.INSTANCE, alloc, tail);
    }

    /** The client's inbound side: frames, then replies. */
    public static EmbeddedChannel replies(int maxFrameLength, TrackingAllocator alloc, ChannelHandler tail) {
        return channel(maxFrameLength, ReplyDecoder.INSTANCE, alloc, tail);
    }

    /**
     * Writes {@code bytes} in pieces ending at each of {@code cuts} (ascending, inside the
     * array) and then at the end; each piece is a new buffer from {@code alloc}.
     */
    public static void feed(EmbeddedChannel ch, TrackingAllocator alloc, byte[] bytes, int... cuts) {
        int from = 0;
        for (int cut : cuts) {
            ch.writeInbound(alloc.copyOf(bytes, from, cut));
            from = cut;
        }
        ch.writeInbound(alloc.copyOf(bytes, from, bytes.length));
    }

    /** Writes {@code bytes} one byte per read. */
    public static void feedByteByByte(EmbeddedChannel ch, TrackingAllocator alloc, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            ch.writeInbound(alloc.copyOf(bytes, i, i + 1));
        }
    }

    /** Reads every inbound message, describes and releases it. */
    public static List<String> drainInbound(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        for (Object m; (m = ch.readInbound()) != null; ) {
            try {
                out.add(Describe.message(m));
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        return out;
    }

    /** Reads every outbound buffer and returns their concatenated bytes, releasing them. */
    public static byte[] drainOutbound(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object m; (m = ch.readOutbound()) != null; ) {
            try {
                ByteBuf buf = (ByteBuf) m;
                byte[] bytes = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), bytes);
                out.writeBytes(bytes);
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        return out.toByteArray();
    }
}
