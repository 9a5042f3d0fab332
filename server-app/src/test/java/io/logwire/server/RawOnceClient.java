package io.logwire.server;

import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;

/**
 * A raw blocking test client that uploads with UPLOAD_ONCE and retries a batch with the same
 * id, on a new connection, until it is acknowledged: what the protocol asks a client to do
 * (PROTOCOL.md 6.2). ERROR_RETRY and OVERLOADED are waited out and retried too.
 */
final class RawOnceClient implements AutoCloseable {
    private final int port;
    private Socket socket;
    private DataInputStream in;
    private OutputStream out;
    long reconnects;

    RawOnceClient(int port) {
        this.port = port;
    }

    /** The entries of test batch {@code batch}: {@code server} names the batch, {@code port} the index. */
    static ByteBuf batch(long batch, int size) {
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; i < size; i++) {
            LogEntryCodec.encode(new LogEntry("chaos", "10.0.0.1", i, batch, i, 2L * i, 0.25f, "b" + batch), buf);
        }
        return buf;
    }

    /** Uploads {@code entries} under {@code id} until acknowledged; returns the acknowledgement. */
    Reply.UploadOnceOk uploadOnce(BatchId id, ByteBuf entries, int count, long deadlineNanos) throws Exception {
        ByteBuf frame = MessageCodec.encode(new Request.UploadOnce(1, id, count, entries.retainedDuplicate()),
                ByteBufAllocator.DEFAULT);
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        frame.release();
        while (true) {
            if (System.nanoTime() > deadlineNanos) {
                throw new AssertionError("batch " + id + " not acknowledged before the deadline");
            }
            try {
                if (socket == null) {
                    socket = new Socket(InetAddress.getLoopbackAddress(), port);
                    socket.setSoTimeout(10_000);
                    socket.setTcpNoDelay(true);
                    in = new DataInputStream(socket.getInputStream());
                    out = socket.getOutputStream();
                }
                out.write(bytes);
                out.flush();
                int length = in.readInt();
                byte[] body = new byte[length];
                in.readFully(body);
                ByteBuf b = Unpooled.wrappedBuffer(body);
                int opcode = b.readUnsignedShort();
                int stream = b.readInt();
                Reply r = MessageCodec.decodeReply(opcode, stream, b);
                if (r instanceof Reply.UploadOnceOk ok) {
                    return ok;
                }
                if (r instanceof Reply.ErrorRetry e) {
                    Thread.sleep(e.retryAfterMillis());
                    continue;
                }
                throw new AssertionError("unexpected reply: " + r);
            } catch (IOException e) {
                drop();
            }
        }
    }

    private void drop() {
        reconnects++;
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
        socket = null;
    }

    @Override
    public void close() {
        drop();
    }
}
