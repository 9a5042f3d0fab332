package io.logwire.server.compat;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.MalformedEntryException;
import io.logwire.protocol.entry.Utf8;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.RateLimitedLog;
import io.logwire.server.ServerInitializer;
import io.logwire.server.ServerStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The legacy log protocol (PROTOCOL.md Appendix A.1) in front of the UPLOAD and QUERY
 * handlers. Unframed commands, split anywhere across reads, any number per connection:
 *
 * <pre>
 * u16 0x0001  u32 count   count x Entry       -&gt; UPLOAD (all-or-nothing), no reply
 * u16 0x0002  u32 length  length bytes UTF-8  -&gt; QUERY, no limit; reply u32 count, count x Entry
 * </pre>
 *
 * <p>Any other command, a bad entry, a bad filter or an error from a handler closes the
 * connection (once earlier replies are flushed); nothing of a bad batch is stored. A batch
 * whose entries take more than {@code maxFrameLength - 10} bytes (what one UPLOAD frame can
 * carry) and a filter longer than that also close it.
 *
 * <p>Commands run one at a time, in order, so a query sees the uploads sent before it on the
 * same connection and replies never interleave. While a command runs the codec keeps at most
 * {@link #WAITING_READ_LIMIT} bytes of the following ones and then stops reading.
 *
 * <p>A reply's count comes before its entries, but QUERY streams ROWS and learns the count
 * last. Rows are therefore held until the query ends, up to {@code queryBufferBytes} per
 * connection; a result larger than that is counted without keeping it, the count is sent,
 * and the query runs a second time with that count as its limit, its rows streamed as the
 * socket takes them. Should the second pass find fewer entries (retention deleted some in
 * between), the connection is closed rather than sending a wrong count.
 *
 * <p>One instance per channel; all state is confined to the channel's event loop.
 */
final class LegacyServerCodec extends ChannelDuplexHandler {
    /** Command codes of the legacy protocol. */
    static final int UPLOAD = 0x0001;
    static final int QUERY = 0x0002;
    /** {@code u16 command, u32 count or length}. */
    static final int HEADER_SIZE = 6;
    /** Query results up to this size are sent after one pass over the store. */
    static final int DEFAULT_QUERY_BUFFER_BYTES = 1 << 20;
    /** Unprocessed bytes kept while a command runs before the connection stops being read. */
    static final int WAITING_READ_LIMIT = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(LegacyServerCodec.class);
    private static final RateLimitedLog faults = new RateLimitedLog(log, 10);

    private final ServerStats stats;
    private final int maxBatchBytes;
    private final int queryBufferBytes;

    private ChannelHandlerContext ctx;
    private ByteBuf cumulation;
    private int stream;
    /** A command is with the handlers; the next is not decoded until it ends. */
    private boolean busy;
    private boolean inputShutdown;
    private boolean closing;

    // The upload being received: entries found so far and bytes they take after the header.
    private long entriesScanned;
    private int bytesScanned;

    // The query running: its filter, rows held for the first pass, and the second pass.
    private String filter;
    private final List<ByteBuf> held = new ArrayList<>();
    private long heldBytes;
    private boolean overflowed;
    private boolean secondPass;
    private long promised;
    private long streamed;

    LegacyServerCodec(ServerStats stats, int maxFrameLength, int queryBufferBytes) {
        this.stats = stats;
        // The body of one UPLOAD frame at most: frame length 6 + 4 (count) + entries.
        this.maxBatchBytes = maxFrameLength - 10;
        this.queryBufferBytes = queryBufferBytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closing) {
            in.release();
            return;
        }
        cumulation = cumulation == null ? in
                : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        decode();
    }

    /** Decodes and dispatches commands while none is running and whole ones are buffered. */
    private void decode() {
        while (!busy && !closing && cumulation != null && cumulation.isReadable()) {
            if (!decodeOne()) {
                break;
            }
        }
        if (cumulation != null) {
            if (!cumulation.isReadable()) {
                cumulation.release();
                cumulation = null;
            } else if (cumulation.refCnt() == 1) {
                cumulation.discardSomeReadBytes();
            }
        }
        if (busy && cumulation != null && cumulation.readableBytes() >= WAITING_READ_LIMIT) {
            // The dispatch turns reading back on when the command ends; decode() then runs.
            ctx.channel().config().setAutoRead(false);
        }
        if (inputShutdown && !busy && !closing) {
            // The peer sent all it will; an incomplete command is dropped (nothing stored).
            closeAfterFlush();
        }
    }

    /** Decodes one command if it is whole; returns whether one was dispatched. */
    private boolean decodeOne() {
        ByteBuf in = cumulation;
        int r = in.readerIndex();
        int readable = in.readableBytes();
        if (readable < 2) {
            return false;
        }
        int command = in.getUnsignedShort(r);
        if (command != UPLOAD && command != QUERY) {
            return fail("unknown command 0x%04x", command);
        }
        if (readable < HEADER_SIZE) {
            return false;
        }
        long n = in.getUnsignedInt(r + 2);
        int body = r + HEADER_SIZE;
        if (command == QUERY) {
            if (n > maxBatchBytes) {
                return fail("filter of %d bytes is over the limit of %d", n, maxBatchBytes);
            }
            if (readable - HEADER_SIZE < n) {
                return false;
            }
            if (!Utf8.isValid(in, body, (int) n)) {
                return fail("filter is not valid UTF-8");
            }
            String text = Utf8.decode(in, body, (int) n);
            in.readerIndex(body + (int) n);
            filter = text;
            dispatch(new Request.Query(stream = CompatServerInitializer.next(stream), 0, text));
            return true;
        }
        if (n * LogEntryCodec.OVERHEAD > maxBatchBytes) {
            return fail("batch of %d entries cannot fit in %d bytes", n, maxBatchBytes);
        }
        // Walk the entries that have arrived since the last read, not the whole batch again.
        int limit = in.writerIndex();
        while (entriesScanned < n) {
            int length = LogEntryCodec.entryLength(in, body + bytesScanned, limit);
            if (length < 0) {
                break;
            }
            bytesScanned += length;
            entriesScanned++;
        }
        if (entriesScanned < n) {
            if (readable - HEADER_SIZE > maxBatchBytes) {
                return fail("batch is larger than %d bytes", maxBatchBytes);
            }
            return false;
        }
        int length = bytesScanned;
        entriesScanned = 0;
        bytesScanned = 0;
        if (length > maxBatchBytes) {
            return fail("batch of %d bytes is over the limit of %d", length, maxBatchBytes);
        }
        try {
            LogEntryCodec.validateBatch(in, body, length, n);
        } catch (MalformedEntryException e) {
            return fail("entry %d of the batch: %s", e.entryIndex(), e.reason());
        }
        ByteBuf entries = in.retainedSlice(body, length);
        in.readerIndex(body + length);
        dispatch(new Request.Upload(stream = CompatServerInitializer.next(stream), (int) n, entries));
        return true;
    }

    private void dispatch(Request request) {
        busy = true;
        ServerInitializer.messageReceived(stats);
        ctx.fireChannelRead(request);
    }

    private boolean fail(String format, Object... args) {
        faults.warn("{}: legacy protocol: {}; closing the connection", ctx.channel().remoteAddress(),
                String.format(format, args));
        closeAfterFlush();
        return false;
    }

    /** Closes once what was written before is on its way; later input is discarded. */
    private void closeAfterFlush() {
        closing = true;
        releaseAll();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Reply reply)) {
            ctx.write(msg, promise);
            return;
        }
        if (reply instanceof Reply.Error e) {
            // From the handler of the running command, or a connection-level one: either way
            // the protocol has no way to say it.
            faults.warn("{}: legacy protocol: {}; closing the connection", ctx.channel().remoteAddress(),
                    e.message());
            promise.trySuccess();
            if (!closing) {
                closeAfterFlush();
            }
            return;
        }
        if (closing || reply.streamId() != stream) {
            ReferenceCountUtil.release(reply);
            promise.trySuccess();
            return;
        }
        if (reply instanceof Reply.UploadOk) {
            promise.trySuccess(); // the legacy protocol does not acknowledge uploads
            commandDone();
        } else if (reply instanceof Reply.Rows rows) {
            rows(rows, promise);
        } else if (reply instanceof Reply.ScanDone done) {
            promise.trySuccess();
            scanDone(done.totalRows());
        } else {
            log.error("bug: unexpected reply {} on a legacy connection", reply);
            ReferenceCountUtil.release(reply);
            promise.trySuccess();
            closeAfterFlush();
        }
    }

    private void rows(Reply.Rows rows, ChannelPromise promise) {
        if (secondPass) {
            streamed += rows.count();
            if (streamed > promised) {
                rows.release();
                promise.trySuccess();
                return; // cannot happen with limit = promised; scanDone() closes
            }
            ctx.write(rows.entries(), promise);
            return;
        }
        promise.trySuccess();
        if (!overflowed && heldBytes + rows.entries().readableBytes() <= queryBufferBytes) {
            held.add(rows.entries());
            heldBytes += rows.entries().readableBytes();
            return;
        }
        // Too large to hold: count only (the handler reports the total), then a second pass.
        overflowed = true;
        rows.release();
        releaseHeld();
    }

    private void scanDone(long total) {
        if (secondPass) {
            if (streamed != promised) {
                faults.warn("{}: legacy query found {} entries on its second pass, {} were announced; closing",
                        ctx.channel().remoteAddress(), streamed, promised);
                closeAfterFlush();
                return;
            }
            commandDone();
            return;
        }
        if (total > 0xFFFF_FFFFL) {
            faults.warn("{}: legacy query matched {} entries, more than a u32 count; closing",
                    ctx.channel().remoteAddress(), total);
            closeAfterFlush();
            return;
        }
        ByteBuf count = ctx.alloc().buffer(4).writeInt((int) total);
        if (!overflowed) {
            ctx.write(count, ctx.voidPromise());
            for (ByteBuf b : held) {
                ctx.write(b, ctx.voidPromise());
            }
            held.clear();
            heldBytes = 0;
            ctx.flush();
            commandDone();
            return;
        }
        ctx.writeAndFlush(count, ctx.voidPromise());
        secondPass = true;
        promised = total;
        streamed = 0;
        Request second = new Request.Query(stream = CompatServerInitializer.next(stream), total, filter);
        // Not from inside this write: the first pass's exchange is still finishing.
        ctx.executor().execute(() -> {
            if (!closing) {
                ctx.fireChannelRead(second);
            }
        });
    }

    /** The running command ended: decode the next, outside the write that reported it. */
    private void commandDone() {
        busy = false;
        filter = null;
        overflowed = false;
        secondPass = false;
        ctx.executor().execute(() -> {
            if (!busy && !closing) {
                decode();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            if (!busy && !closing) {
                decode();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        releaseAll();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll();
    }

    private void releaseAll() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        releaseHeld();
    }

    private void releaseHeld() {
        for (ByteBuf b : held) {
            b.release();
        }
        held.clear();
        heldBytes = 0;
    }
}
