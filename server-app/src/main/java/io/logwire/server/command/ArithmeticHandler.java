package io.logwire.server.command;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;

/** DOUBLE and NEGATE on i32, with OVERFLOW when the result is not an i32. */
public final class ArithmeticHandler implements CommandHandler {
    public static final ArithmeticHandler INSTANCE = new ArithmeticHandler();

    private ArithmeticHandler() {
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        try {
            if (request instanceof Request.DoubleValue d) {
                exchange.reply(new Reply.DoubleOk(d.streamId(), Math.multiplyExact(d.value(), 2)));
            } else {
                Request.NegateValue n = (Request.NegateValue) request;
                exchange.reply(new Reply.NegateOk(n.streamId(), Math.negateExact(n.value())));
            }
        } catch (ArithmeticException e) {
            exchange.fail(ErrorCode.OVERFLOW, "integer overflow");
        }
    }
}
