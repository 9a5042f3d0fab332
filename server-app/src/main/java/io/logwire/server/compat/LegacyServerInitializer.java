package io.logwire.server.compat;

import io.logwire.server.ServerContext;
import io.logwire.server.command.CommandTable;
import io.netty.channel.ChannelHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.SslContext;

import java.util.function.Supplier;

/** The legacy log protocol listener (PROTOCOL.md Appendix A.1): TLS or plaintext, then {@link LegacyServerCodec}. */
final class LegacyServerInitializer extends CompatServerInitializer {
    LegacyServerInitializer(ServerContext server, CommandTable table, ChannelGroup channels,
                            Supplier<SslContext> tls) {
        super(server, table, channels, tls);
    }

    @Override
    String listener() {
        return "legacy";
    }

    @Override
    ChannelHandler newCodec(ServerContext server) {
        return new LegacyServerCodec(server.stats(), server.config().maxFrameLength(),
                LegacyServerCodec.DEFAULT_QUERY_BUFFER_BYTES);
    }
}
