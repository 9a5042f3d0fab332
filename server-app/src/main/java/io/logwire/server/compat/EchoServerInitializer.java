package io.logwire.server.compat;

import io.logwire.server.ServerContext;
import io.logwire.server.command.CommandTable;
import io.netty.channel.ChannelHandler;
import io.netty.channel.group.ChannelGroup;

/** The echo listener (PROTOCOL.md Appendix A.3): plaintext, {@link EchoServerCodec}. */
final class EchoServerInitializer extends CompatServerInitializer {
    EchoServerInitializer(ServerContext server, CommandTable table, ChannelGroup channels) {
        super(server, table, channels, null);
    }

    @Override
    String listener() {
        return "echo";
    }

    @Override
    ChannelHandler newCodec(ServerContext server) {
        return new EchoServerCodec();
    }
}
