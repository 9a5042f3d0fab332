package io.logwire.server.compat;

import io.logwire.server.ServerContext;
import io.logwire.server.command.CommandTable;
import io.netty.channel.ChannelHandler;
import io.netty.channel.group.ChannelGroup;

/** The JSON-header application protocol listener (PROTOCOL.md Appendix A.2): plaintext, {@link AppServerCodec}. */
final class AppServerInitializer extends CompatServerInitializer {
    AppServerInitializer(ServerContext server, CommandTable table, ChannelGroup channels) {
        super(server, table, channels, null);
    }

    @Override
    String listener() {
        return "app";
    }

    @Override
    ChannelHandler newCodec(ServerContext server) {
        return new AppServerCodec(server.stats(), server.config().maxFrameLength());
    }
}
