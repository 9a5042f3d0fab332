package io.logwire.server.auth;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ConnectionLog;
import io.logwire.server.command.CommandHandler;
import io.logwire.server.command.Exchange;
import io.netty.channel.Channel;

/**
 * AUTH (6.8): checks the bearer token against the policy; answers AUTH_OK with the identity
 * and its roles, or {@code ERROR UNAUTHORIZED}. Closes the connection after too many failures
 * on it, or when its address is over the failure limit. Never logs the token. Sharable.
 */
public final class AuthHandler implements CommandHandler {
    public static final AuthHandler INSTANCE = new AuthHandler();

    private AuthHandler() {
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Channel ch = exchange.channel();
        ConnectionAuth auth = ConnectionAuth.of(ch);
        String token = request instanceof Request.Auth a ? a.token() : "";
        if (auth == null) {
            exchange.reply(new Reply.AuthOk(exchange.streamId(), Identity.ANONYMOUS.toJson()));
            return;
        }
        ConnectionAuth.Result r = auth.authenticate(token);
        if (r.identity() != null) {
            exchange.reply(new Reply.AuthOk(exchange.streamId(), r.identity().toJson()));
            return;
        }
        exchange.reply(new Reply.Error(exchange.streamId(), r.code(), r.refusal()));
        if (r.close()) {
            ConnectionLog.closing(ch, ConnectionLog.CloseReason.PROTOCOL_ERROR, r.code() == ErrorCode.OVERLOADED
                    ? "identity over --max-connections-per-identity" : "too many failed AUTH attempts");
            ch.close();
        }
    }
}
