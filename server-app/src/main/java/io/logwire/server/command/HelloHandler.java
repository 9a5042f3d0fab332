package io.logwire.server.command;

import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.ServerVersion;

/**
 * HELLO: agrees on protocol version 1 or 2 (PROTOCOL.md 4 and 6.1) and announces the maximum
 * frame length; version 2 also announces the codecs accepted in requests (LZ4 and ZSTD) and
 * records the codecs the client accepts in replies ({@link ConnectionProtocol}). A later HELLO
 * replaces what an earlier one agreed.
 */
public final class HelloHandler implements CommandHandler {
    /** The highest protocol version this server speaks (STATS {@code protocolVersion}). */
    public static final int PROTOCOL_VERSION = 2;
    /** The codecs this server accepts in COMPRESSED requests. */
    public static final int ACCEPTED_CODECS = CompressionCodec.allMask();

    private final ServerContext server;

    public HelloHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Request.Hello hello = (Request.Hello) request;
        int version = hello.protocolVersion();
        if (version != 1 && version != 2) {
            exchange.fail(ErrorCode.UNSUPPORTED_VERSION, "protocol version " + version
                    + " is not supported; this server speaks versions 1 and 2");
            return;
        }
        ConnectionProtocol.agree(exchange.channel(), version, version == 2 ? hello.acceptedCodecs() : 0,
                server.config().compressReplies());
        exchange.reply(new Reply.HelloOk(exchange.streamId(), version, server.config().maxFrameLength(),
                version == 2 ? ACCEPTED_CODECS : 0, ServerVersion.NAME_AND_VERSION));
    }
}
