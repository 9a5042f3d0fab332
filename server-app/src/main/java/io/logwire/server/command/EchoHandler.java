package io.logwire.server.command;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;

/** ECHO: returns the request's bytes unchanged, without copying them. */
public final class EchoHandler implements CommandHandler {
    public static final EchoHandler INSTANCE = new EchoHandler();

    private EchoHandler() {
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        exchange.reply(new Reply.EchoOk(exchange.streamId(), ((Request.Echo) request).data()));
    }
}
