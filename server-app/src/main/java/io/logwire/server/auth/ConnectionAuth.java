package io.logwire.server.auth;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/**
 * One connection's identity (PROTOCOL.md 6.8). Created per channel by the dispatch handler
 * and kept in the channel's {@link #KEY} attribute; event loop only.
 *
 * <p>The identity comes from the verified client certificate (looked up when the first
 * request arrives, after the handshake) or from a successful AUTH, which replaces it. A failed
 * AUTH leaves the identity as it was. When the policy changes, the identity is checked again at
 * the next request: a revoked token or a removed certificate entry leaves the connection
 * without an identity (its next role-bound request is UNAUTHORIZED), changed roles apply at
 * once. Requests already running (a TAIL, say) are not stopped.
 */
public final class ConnectionAuth {
    public static final AttributeKey<ConnectionAuth> KEY = AttributeKey.valueOf("logwire.auth");

    private final ServerAuth server;
    private final Channel channel;
    private boolean certificateChecked;
    private X509Certificate certificate;
    private java.util.List<X509Certificate> caCandidates = java.util.List.of();
    private Identity identity;
    private long policyVersion;
    private int failures;
    /** The identity name this connection is counted under for --max-connections-per-identity. */
    private String countedAs;

    public ConnectionAuth(ServerAuth server, Channel channel) {
        this.server = server;
        this.channel = channel;
        channel.closeFuture().addListener(f -> channel.eventLoop().execute(() -> count(null)));
    }

    /**
     * Moves this connection's place to identity {@code name} (null: none).
     *
     * @return null, or why {@code name} may not hold another connection (nothing changed then)
     */
    private String count(String name) {
        if (java.util.Objects.equals(name, countedAs)) {
            return null;
        }
        if (name != null) {
            String refusal = server.acquireConnection(name);
            if (refusal != null) {
                return refusal;
            }
        }
        if (countedAs != null) {
            server.releaseConnection(countedAs);
        }
        countedAs = name;
        if (name != null && !channel.isOpen()) {
            // Closed already: its close listener may have run before this place was taken.
            server.releaseConnection(name);
            countedAs = null;
        }
        return null;
    }

    /** Certificate identities over their connection limit: ERROR OVERLOADED on stream 0, then close. */
    private void refuseIdentity(String why) {
        identity = null;
        channel.writeAndFlush(new io.logwire.protocol.message.Reply.Error(
                        io.logwire.protocol.frame.FrameConstants.CONNECTION_STREAM,
                        io.logwire.protocol.message.ErrorCode.OVERLOADED, why))
                .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }

    /** Counts the (new) identity; refuses the connection if it is over its limit. */
    private void settleCount() {
        String refusal = count(identity == null ? null : identity.name());
        if (refusal != null) {
            refuseIdentity(refusal);
        }
    }

    /** The connection's auth state, or null if it has none (not a main-listener connection). */
    public static ConnectionAuth of(Channel channel) {
        return channel.attr(KEY).get();
    }

    /** Whether the connection may send {@code op} now. */
    public boolean permits(Opcode op) {
        Role role = Role.requiredFor(op);
        if (role == null || !server.required()) {
            return true;
        }
        Identity id = identity();
        if (id != null && id.roles().contains(role)) {
            return true;
        }
        server.count("denied");
        return false;
    }

    /** The identity now (null: none), re-checked against the policy if it changed. */
    public Identity identity() {
        if (!server.required()) {
            return Identity.ANONYMOUS;
        }
        PolicyHolder holder = server.policy();
        long v = holder.version();
        if (!certificateChecked) {
            certificateChecked = true;
            Certificate[] chain = peerChain(channel);
            certificate = chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
            caCandidates = new java.util.ArrayList<>();
            for (int i = 1; i < chain.length; i++) {
                if (chain[i] instanceof X509Certificate x) {
                    caCandidates.add(x);
                }
            }
            caCandidates.addAll(server.clientCas());
            identity = certificate == null ? null : holder.policy().identify(certificate, caCandidates);
            policyVersion = v;
            logIdentity();
            settleCount();
        } else if (v != policyVersion) {
            policyVersion = v;
            AuthPolicy p = holder.policy();
            Identity before = identity;
            if (identity != null && identity.policyEntry() instanceof TokenEntry) {
                identity = p.recheckToken(identity);
            } else if (identity != null || certificate != null) {
                identity = certificate == null ? null : p.identify(certificate, caCandidates);
            }
            if (before != identity) {
                logIdentity();
                settleCount();
            }
        }
        return identity;
    }

    /** What AUTH with {@code token} means for this connection; see {@link AuthHandler}. */
    Result authenticate(String token) {
        InetAddress address = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (!server.required()) {
            server.count("ok");
            return Result.ok(Identity.ANONYMOUS);
        }
        identity(); // settle the certificate identity first
        if (server.addressFailures().blocked(address)) {
            server.count("limited");
            return Result.refused("too many failed AUTH attempts from this address; wait a minute", true);
        }
        // The version before the policy: a reload in between makes the next request check again.
        long version = server.policy().version();
        Identity id = server.policy().policy().authenticate(token);
        if (id == null) {
            server.count("failed");
            server.addressFailures().failed(address);
            failures++;
            int max = server.maxFailuresPerConnection();
            boolean close = max > 0 && failures >= max;
            return Result.refused("token not accepted" + (close ? "; too many failed AUTH attempts, closing" : ""),
                    close);
        }
        String refusal = count(id.name());
        if (refusal != null) {
            return Result.overloaded(refusal);
        }
        server.count("ok");
        identity = id;
        policyVersion = version;
        logIdentity();
        return Result.ok(id);
    }

    private void logIdentity() {
        io.logwire.server.ConnectionLog.identity(channel, identity == null ? null : identity.name());
    }

    /** The verified peer chain (leaf first), or an empty one without TLS or a client certificate. */
    private static Certificate[] peerChain(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return new Certificate[0];
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain == null ? new Certificate[0] : chain;
        } catch (SSLPeerUnverifiedException e) {
            return new Certificate[0];
        }
    }

    /** The outcome of one AUTH. */
    record Result(Identity identity, String refusal, boolean close, ErrorCode code) {
        static Result ok(Identity id) {
            return new Result(id, null, false, null);
        }

        static Result refused(String why, boolean close) {
            return new Result(null, why, close, ErrorCode.UNAUTHORIZED);
        }

        /** The identity is over --max-connections-per-identity: OVERLOADED, then close. */
        static Result overloaded(String why) {
            return new Result(null, why, true, ErrorCode.OVERLOADED);
        }
    }
}
