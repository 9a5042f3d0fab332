package io.logwire.client;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns the exceptions of a failed connection (JDK or OpenSSL TLS, sockets, the server's
 * stream-0 error) into a {@link ConnectionException} whose message names the cause and what
 * to do about it. Both TLS providers are covered: the JDK reports certificate problems as
 * exception causes, BoringSSL as alert names in the message.
 */
final class ConnectionFailures {
    private ConnectionFailures() {
    }

    static ConnectionException describe(Throwable failure, Reply.Error connectionError, ClientConfig config) {
        String addr = config.address();
        if (failure == null) {
            if (connectionError != null) {
                ErrorCode code = connectionError.errorCode();
                return new ConnectionException(ConnectionException.Reason.SERVER_REFUSED,
                        "server " + addr + " closed the connection: " + (code != null ? code.name()
                                : "error " + connectionError.code()) + ": " + connectionError.message());
            }
            return new ConnectionException(ConnectionException.Reason.CLOSED,
                    "connection to " + addr + " was closed by the server");
        }
        if (failure instanceof ConnectionException e) {
            return e;
        }
        List<Throwable> chain = chain(failure);
        String all = messages(chain);
        String lower = all.toLowerCase(Locale.ROOT);
        String name = config.effectiveServerName();

        if (has(chain, ConnectTimeoutException.class)) {
            return new ConnectionException(ConnectionException.Reason.TIMEOUT,
                    "timed out connecting to " + addr + " (no answer within " + ClientConfig.format(config.timeout())
                            + "; is the host reachable and the port open?)", failure);
        }
        if (has(chain, SslHandshakeTimeoutException.class)) {
            return new ConnectionException(ConnectionException.Reason.TIMEOUT,
                    "timed out in the TLS handshake with " + addr + " after " + ClientConfig.format(config.timeout())
                            + " (is it a logwire server, and does it speak TLS?)", failure);
        }
        if (has(chain, ConnectException.class) || has(chain, NoRouteToHostException.class)) {
            boolean refused = lower.contains("refused");
            return new ConnectionException(refused ? ConnectionException.Reason.CONNECTION_REFUSED
                    : ConnectionException.Reason.CLOSED,
                    (refused ? "connection refused by " + addr + " (is the server running and listening on that port?)"
                            : "cannot connect to " + addr + ": " + rootMessage(failure)), failure);
        }
        if (has(chain, UnknownHostException.class)) {
            return new ConnectionException(ConnectionException.Reason.UNKNOWN_HOST,
                    "unknown host " + config.host() + " (the name does not resolve)", failure);
        }
        if (has(chain, NotSslRecordException.class) || lower.contains("not an ssl/tls record")
                || lower.contains("wrong_version_number") || lower.contains("unsupported or unrecognized ssl message")) {
            return new ConnectionException(ConnectionException.Reason.PLAINTEXT_SERVER,
                    "server " + addr + " does not speak TLS (it answered in plaintext); if it is a plaintext "
                            + "server, connect with --plaintext — traffic is then unencrypted", failure);
        }
        if (has(chain, CertificateExpiredException.class) || lower.contains("certificate_expired")
                || lower.contains("certificate has expired") || expired(chain)) {
            return new ConnectionException(ConnectionException.Reason.CERTIFICATE_EXPIRED,
                    "the certificate of " + addr + " has expired (" + rootMessage(failure)
                            + "); the server needs a new certificate", failure);
        }
        if (has(chain, CertificateNotYetValidException.class) || lower.contains("not yet valid")) {
            return new ConnectionException(ConnectionException.Reason.CERTIFICATE_NOT_YET_VALID,
                    "the certificate of " + addr + " is not valid yet (check both machines' clocks)", failure);
        }
        if (lower.contains("no subject alternative") || lower.contains("no name matching")
                || lower.contains("hostname") && lower.contains("match")) {
            return new ConnectionException(ConnectionException.Reason.HOSTNAME_MISMATCH,
                    "the certificate of " + addr + " does not match the name '" + name + "' ("
                            + rootMessage(failure) + "); connect with a name the certificate lists", failure);
        }
        if (has(chain, CertPathBuilderException.class) || lower.contains("unable to find valid certification path")
                || lower.contains("pkix path") || lower.contains("self-signed certificate")
                || lower.contains("self signed certificate") || lower.contains("unable to get local issuer")
                || lower.contains("signature check failed") || lower.contains("no trusted certificate")) {
            return new ConnectionException(ConnectionException.Reason.UNTRUSTED_CERTIFICATE,
                    "the certificate of " + addr + " is not signed by a trusted CA (unknown CA)"
                            + (config.caFile() != null ? "; it is not trusted by --ca " + config.caFile()
                            : "; pass the server's CA or certificate with --ca FILE")
                            + " (" + rootMessage(failure) + ")", failure);
        }
        if (lower.contains("certificate_required") || lower.contains("bad_certificate")
                || lower.contains("unknown_ca") || lower.contains("certificate_unknown")
                || lower.contains("handshake_failure") && config.certFile() == null && !config.plaintext()) {
            return new ConnectionException(ConnectionException.Reason.CLIENT_CERTIFICATE_REJECTED,
                    "server " + addr + " refused the TLS connection: "
                            + (config.certFile() == null ? "it requires a client certificate (mutual TLS); pass --cert and --key"
                            : "it does not accept the client certificate " + config.certFile())
                            + " (" + rootMessage(failure) + ")", failure);
        }
        if (has(chain, SSLException.class)) {
            return new ConnectionException(ConnectionException.Reason.TLS_FAILURE,
                    "TLS with " + addr + " failed: " + rootMessage(failure), failure);
        }
        if (failure instanceof ProtocolCodecException e) {
            return new ConnectionException(ConnectionException.Reason.PROTOCOL_ERROR,
                    "server " + addr + " sent a frame this client cannot read (" + e.errorCode() + ": "
                            + e.getMessage() + ")", failure);
        }
        return new ConnectionException(ConnectionException.Reason.CLOSED,
                "connection to " + addr + " failed: " + rootMessage(failure), failure);
    }

    private static boolean expired(List<Throwable> chain) {
        for (Throwable t : chain) {
            if (t instanceof CertPathValidatorException v
                    && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(List<Throwable> chain, Class<? extends Throwable> type) {
        for (Throwable t : chain) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The failure, its causes and suppressed exceptions, each once. */
    static List<Throwable> chain(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(t, out, seen);
        return out;
    }

    private static void collect(Throwable t, List<Throwable> out, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        out.add(t);
        collect(t.getCause(), out, seen);
        for (Throwable s : t.getSuppressed()) {
            collect(s, out, seen);
        }
    }

    private static String messages(List<Throwable> chain) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t : chain) {
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return sb.toString();
    }

    /** The innermost message worth showing. */
    static String rootMessage(Throwable t) {
        String best = null;
        for (Throwable c : chain(t)) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                best = c.getMessage();
            }
        }
        return best != null ? best : t.toString();
    }
}
