package io.logwire.server.compat;

import io.logwire.server.ServerConfig;
import io.logwire.server.ServerContext;
import io.logwire.server.command.CommandTable;
import io.logwire.server.tls.ReloadableServerTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds the compat listeners of PROTOCOL.md Appendix A that the configuration enables
 * (legacy log protocol, JSON-header application protocol, echo), on the main server's event
 * loops, with its handlers, store, limits and connection group. Each is off unless its port
 * is set ({@link ServerConfig#LISTENER_OFF}); {@link ServerConfig#LISTENER_EPHEMERAL} binds a
 * free port.
 */
public final class CompatListeners implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CompatListeners.class);

    private final List<Channel> bound = new ArrayList<>();
    private Channel legacy;
    private Channel app;
    private Channel echo;

    private CompatListeners() {
    }

    /**
     * Binds the enabled listeners with clones of {@code prototype} (the main listener's
     * bootstrap: same groups, channel class and options). Fails loudly, after closing what it
     * bound, when a port cannot be bound.
     *
     * @param tls the server's TLS set-up, or null when the server is plaintext
     */
    public static CompatListeners bind(ServerBootstrap prototype, ServerContext server, ReloadableServerTls tls,
                                       CommandTable table, ChannelGroup channels) {
        ServerConfig config = server.config();
        CompatListeners l = new CompatListeners();
        try {
            if (config.legacyPort() != ServerConfig.LISTENER_OFF) {
                boolean plaintext = config.legacyPlaintext() || tls == null;
                l.legacy = l.bind(prototype, config, config.legacyPort(),
                        new LegacyServerInitializer(server, table, channels, plaintext ? null : tls::context),
                        "legacy log protocol", plaintext);
            }
            if (config.appPort() != ServerConfig.LISTENER_OFF) {
                l.app = l.bind(prototype, config, config.appPort(),
                        new AppServerInitializer(server, table, channels), "JSON-header application protocol", true);
            }
            if (config.echoPort() != ServerConfig.LISTENER_OFF) {
                l.echo = l.bind(prototype, config, config.echoPort(),
                        new EchoServerInitializer(server, table, channels), "echo", true);
            }
        } catch (Throwable t) {
            l.close();
            throw t;
        }
        return l;
    }

    private Channel bind(ServerBootstrap prototype, ServerConfig config, int port, CompatServerInitializer init,
                         String what, boolean plaintext) {
        // Half-closure: a client that shuts down its output after a command still gets the reply.
        Channel ch = prototype.clone()
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(init)
                .bind(config.bindAddress(), port == ServerConfig.LISTENER_EPHEMERAL ? 0 : port)
                .syncUninterruptibly().channel();
        bound.add(ch);
        int actual = port(ch);
        log.info("tutorial-compatible {} listener on port {} ({})", what, actual, plaintext ? "plaintext" : "TLS");
        if (plaintext) {
            log.warn("the {} listener on port {} is PLAINTEXT: what it carries is readable "
                    + "on the network", what, actual);
        }
        return ch;
    }

    private static int port(Channel ch) {
        return ch == null ? 0 : ((InetSocketAddress) ch.localAddress()).getPort();
    }

    /** The bound port of the legacy log listener, or 0 if it is off. */
    public int legacyPort() {
        return port(legacy);
    }

    /** The bound port of the JSON-header application listener, or 0 if it is off. */
    public int appPort() {
        return port(app);
    }

    /** The bound port of the echo listener, or 0 if it is off. */
    public int echoPort() {
        return port(echo);
    }

    /** Stops accepting on every compat port; open connections stay (the server's group closes them). */
    @Override
    public void close() {
        for (Channel ch : bound) {
            ch.close().syncUninterruptibly();
        }
    }
}
