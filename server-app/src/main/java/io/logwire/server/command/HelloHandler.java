package io.logwire.server.command;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.ServerVersion;

/** HELLO: agrees on protocol version 1 and announces the maximum frame length. */
public final class HelloHandler implements CommandHandler {
    /** The protocol versions this server speaks. */
    public static final int PROTOCOL_VERSION = 1;

    private final ServerContext server;

    public HelloHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Request.Hello hello = (Request.Hello) request;
        if (hello.protocolVersion() != PROTOCOL_VERSION) {
            exchange.fail(ErrorCode.UNSUPPORTED_VERSION, "protocol version " + hello.protocolVersion()
                    + " is not supported; this server speaks version " + PROTOCOL_VERSION);
            return;
        }
        exchange.reply(new Reply.HelloOk(exchange.streamId(), PROTOCOL_VERSION, server.config().maxFrameLength(), 0,
                ServerVersion.NAME_AND_VERSION));
    }
}
