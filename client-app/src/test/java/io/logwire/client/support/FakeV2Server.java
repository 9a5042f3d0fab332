package io.logwire.client.support;

import io.logwire.client.ClientConfig;
import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.Aggregator;
import io.logwire.protocol.codec.RequestDecoder;
import io.logwire.protocol.compress.CompressedFrameDecoder;
import io.logwire.protocol.compress.CompressingMessageEncoder;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameDecoder;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted in-memory version-2 server for client unit tests (plaintext, one event-loop
 * thread, so its state needs no locks): HELLO v2 with codec negotiation, UPLOAD_ONCE with
 * deduplication, QUERY_FROM, TAIL with live pushes, CANCEL, AGGREGATE (with the codec's
 * {@link Aggregator}), compressed replies, and fault injection (acknowledgements lost with the
 * connection, ERROR_RETRY answers). Or a version-1 server that refuses HELLO v2.
 */
public final class FakeV2Server implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final boolean version1Only;
    private final int serverCodecs;
    private final List<byte[]> store = new ArrayList<>();
    private final Map<BatchId, Reply.UploadOnceOk> batches = new HashMap<>();
    private final List<Tail> tails = new ArrayList<>();
    /** UPLOAD_ONCE requests to store and then answer by closing the connection (the ack is lost). */
    public final AtomicInteger loseAcks = new AtomicInteger();
    /** Requests to answer with ERROR_RETRY OVERLOADED (retry after 50 ms) without storing. */
    public final AtomicInteger overload = new AtomicInteger();
    /** Compressed frames received; HELLO codec masks seen. */
    public final AtomicInteger compressedIn = new AtomicInteger();
    public final List<Integer> helloCodecs = new java.util.concurrent.CopyOnWriteArrayList<>();
    public final AtomicInteger cancels = new AtomicInteger();
    public final AtomicInteger connections = new AtomicInteger();

    private FakeV2Server(boolean version1Only, int serverCodecs) {
        this.version1Only = version1Only;
        this.serverCodecs = serverCodecs;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(new FrameDecoder(16 * 1024 * 1024));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Frame f && f.opcode() == Opcode.COMPRESSED) {
                                    compressedIn.incrementAndGet();
                                }
                                ctx.fireChannelRead(msg);
                            }
                        });
                        ch.pipeline().addLast(new CompressedFrameDecoder(16 * 1024 * 1024));
                        ch.pipeline().addLast(new CompressingMessageEncoder(0,
                                m -> m instanceof Reply.SeqRows || m instanceof Reply.Rows));
                        ch.pipeline().addLast(RequestDecoder.INSTANCE);
                        ch.pipeline().addLast(new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    /** A version-2 server accepting every codec in requests. */
    public static FakeV2Server start() {
        return new FakeV2Server(false, CompressionCodec.allMask());
    }

    public static FakeV2Server start(int serverCodecs) {
        return new FakeV2Server(false, serverCodecs);
    }

    /** A version-1 server: HELLO v2 gets UNSUPPORTED_VERSION and the connection is closed. */
    public static FakeV2Server version1() {
        return new FakeV2Server(true, 0);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public ClientConfig.Builder client() {
        return ClientConfig.builder().host("127.0.0.1").port(port()).plaintext(true).timeout(Duration.ofSeconds(10));
    }

    /** Entries stored (each UPLOAD_ONCE batch once). */
    public int stored() {
        return onLoop(store::size);
    }

    /** Closes every client connection (the listener stays). */
    public void dropConnections() {
        onLoop(() -> {
            for (Tail t : new ArrayList<>(tails)) {
                t.ch.close();
            }
            return null;
        });
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> c) {
        try {
            return group.next().submit(c).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Tail {
        final Channel ch;
        final int streamId;
        final EntryPredicate predicate;
        long rows;

        Tail(Channel ch, int streamId, EntryPredicate predicate) {
            this.ch = ch;
            this.streamId = streamId;
            this.predicate = predicate;
        }
    }

    private ByteBuf rows(List<Integer> seqs) {
        ByteBuf out = Unpooled.buffer();
        for (int s : seqs) {
            byte[] e = store.get(s);
            SeqEntryCodec.write(out, s, Unpooled.wrappedBuffer(e), 0, e.length);
        }
        return out;
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private boolean v2;

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            tails.removeIf(t -> t.ch == ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                handle(ctx, (Request) msg);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void handle(ChannelHandlerContext ctx, Request msg) {
            Channel ch = ctx.channel();
            if (msg instanceof Request.Hello h) {
                helloCodecs.add(h.acceptedCodecs());
                if (h.protocolVersion() == 2 && version1Only) {
                    ch.writeAndFlush(new Reply.Error(h.streamId(), ErrorCode.UNSUPPORTED_VERSION.code(),
                            "version 1 only")).addListener(f -> ch.close());
                    return;
                }
                v2 = h.protocolVersion() == 2;
                if (v2) {
                    CompressionCodec c = CompressionCodec.choose(h.acceptedCodecs(), CompressionCodec.ZSTD,
                            CompressionCodec.LZ4);
                    ch.pipeline().get(CompressingMessageEncoder.class).codec(c);
                }
                ch.writeAndFlush(new Reply.HelloOk(h.streamId(), h.protocolVersion(), 16 * 1024 * 1024,
                        v2 ? serverCodecs : 0, "fake/" + (v2 ? 2 : 1)));
                return;
            }
            if (msg instanceof Request.Echo e) {
                ch.writeAndFlush(new Reply.EchoOk(e.streamId(), e.data().retain()));
                return;
            }
            if (version1Only) {
                ch.writeAndFlush(new Reply.Error(msg.streamId(), ErrorCode.UNKNOWN_OPCODE.code(), "no"));
                return;
            }
            if (overload.get() > 0 && !(msg instanceof Request.Cancel)) {
                overload.decrementAndGet();
                ch.writeAndFlush(new Reply.ErrorRetry(msg.streamId(), ErrorCode.OVERLOADED.code(), 50, "busy"));
                return;
            }
            if (msg instanceof Request.UploadOnce u) {
                Reply.UploadOnceOk known = batches.get(u.batchId());
                if (known != null) {
                    ch.writeAndFlush(new Reply.UploadOnceOk(u.streamId(), known.stored(), known.firstSequence(), true));
                    return;
                }
                int first = store.size();
                ByteBuf b = u.entries();
                int off = b.readerIndex();
                for (int i = 0; i < u.count(); i++) {
                    int len = LogEntryCodec.entryLength(b, off);
                    byte[] e = new byte[len];
                    b.getBytes(off, e);
                    store.add(e);
                    off += len;
                }
                batches.put(u.batchId(), new Reply.UploadOnceOk(0, u.count(), first, false));
                pushToTails(first);
                if (loseAcks.get() > 0 && loseAcks.decrementAndGet() >= 0) {
                    ch.close();
                    return;
                }
                ch.writeAndFlush(new Reply.UploadOnceOk(u.streamId(), u.count(), first, false));
                return;
            }
            if (msg instanceof Request.QueryFrom q) {
                EntryPredicate p = Filter.parse(q.filter()).compile();
                List<Integer> page = new ArrayList<>();
                long total = 0;
                long next = store.size();
                for (int s = (int) Math.min(q.fromSequence(), store.size()); s < store.size(); s++) {
                    if (!p.test(Unpooled.wrappedBuffer(store.get(s)), 0)) {
                        continue;
                    }
                    page.add(s);
                    total++;
                    if (page.size() == 100) {
                        ch.write(new Reply.SeqRows(Opcode.QUERY_FROM, q.streamId(), page.size(), rows(page)));
                        page.clear();
                    }
                    if (q.limit() > 0 && total == q.limit()) {
                        next = s + 1L;
                        break;
                    }
                }
                if (!page.isEmpty()) {
                    ch.write(new Reply.SeqRows(Opcode.QUERY_FROM, q.streamId(), page.size(), rows(page)));
                }
                ch.writeAndFlush(new Reply.SeqScanDone(Opcode.QUERY_FROM, q.streamId(), total, next));
                return;
            }
            if (msg instanceof Request.Tail t) {
                Tail tail = new Tail(ch, t.streamId(), Filter.parse(t.filter()).compile());
                long from = t.fromSequence() == -1 ? store.size() : Math.min(t.fromSequence(), store.size());
                List<Integer> page = new ArrayList<>();
                for (int s = (int) from; s < store.size(); s++) {
                    if (tail.predicate.test(Unpooled.wrappedBuffer(store.get(s)), 0)) {
                        page.add(s);
                    }
                }
                if (!page.isEmpty()) {
                    tail.rows += page.size();
                    ch.writeAndFlush(new Reply.SeqRows(Opcode.TAIL, t.streamId(), page.size(), rows(page)));
                }
                tails.add(tail);
                return;
            }
            if (msg instanceof Request.Cancel c) {
                cancels.incrementAndGet();
                for (Tail t : new ArrayList<>(tails)) {
                    if (t.ch == ch && t.streamId == c.targetStreamId()) {
                        tails.remove(t);
                        ch.write(new Reply.SeqScanDone(Opcode.TAIL, t.streamId, t.rows, store.size()));
                    }
                }
                ch.writeAndFlush(new Reply.CancelOk(c.streamId()));
                return;
            }
            if (msg instanceof Request.Aggregate a) {
                AggregateQuery q;
                try {
                    q = AggregateQuery.parse(a.query());
                } catch (RuntimeException e) {
                    ch.writeAndFlush(new Reply.Error(a.streamId(), ErrorCode.INVALID_QUERY.code(), e.getMessage()));
                    return;
                }
                Aggregator agg = new Aggregator(q, Aggregator.DEFAULT_MAX_GROUPS);
                for (byte[] e : store) {
                    ByteBuf b = Unpooled.wrappedBuffer(e);
                    agg.accept(b, 0);
                }
                ch.writeAndFlush(new Reply.AggregateOk(a.streamId(), agg.result().toJson()));
                return;
            }
            ch.writeAndFlush(new Reply.Error(msg.streamId(), ErrorCode.UNKNOWN_OPCODE.code(), "not in the fake"));
        }
    }

    private void pushToTails(int first) {
        for (Tail t : tails) {
            List<Integer> page = new ArrayList<>();
            for (int s = first; s < store.size(); s++) {
                if (t.predicate.test(Unpooled.wrappedBuffer(store.get(s)), 0)) {
                    page.add(s);
                }
            }
            if (!page.isEmpty()) {
                t.rows += page.size();
                t.ch.writeAndFlush(new Reply.SeqRows(Opcode.TAIL, t.streamId, page.size(), rows(page)));
            }
        }
    }
}
