package io.logwire.server.command;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;

/**
 * CANCEL (PROTOCOL.md 6.3): asks the streaming request (QUERY, SEARCH, QUERY_FROM, TAIL) on the
 * target stream of this connection to end; that stream then gets its normal final frame with
 * the totals so far. Answered with CANCEL_OK whether or not the target was running.
 */
public final class CancelHandler implements CommandHandler {
    public static final CancelHandler INSTANCE = new CancelHandler();

    private CancelHandler() {
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Request.Cancel cancel = (Request.Cancel) request;
        exchange.cancelStream(cancel.targetStreamId());
        exchange.reply(new Reply.CancelOk(cancel.streamId()));
    }
}
