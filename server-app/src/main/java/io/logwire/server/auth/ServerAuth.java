package io.logwire.server.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;

/**
 * The server's authentication set-up, shared by every connection: whether section 6.8 is
 * enforced, the policy in force, and the failed-AUTH limits. One per server; thread-safe.
 */
public final class ServerAuth implements AutoCloseable {
    /** Failed AUTHs per address are counted over this window. */
    public static final Duration ADDRESS_WINDOW = Duration.ofMinutes(1);

    /** A server without {@code --require-auth} and without a policy: everyone is anonymous with every role. */
    public static final ServerAuth OPEN = new ServerAuth(false, PolicyHolder.fixed(AuthPolicy.EMPTY), 0, 0, null,
            java.util.List::of);

    private final boolean required;
    private final PolicyHolder policy;
    private final int maxFailuresPerConnection;
    private final AuthFailures addressFailures;
    private final Counter ok;
    private final Counter failed;
    private final Counter limited;
    private final Counter denied;
    private final java.util.function.Supplier<java.util.List<java.security.cert.X509Certificate>> clientCas;
    private final int maxConnectionsPerIdentity;
    /** Open connections per identity name (only identities that hold at least one). */
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> connections =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Counter identityLimited;

    /**
     * @param maxFailuresPerConnection failed AUTHs after which a connection is closed (0 = never)
     * @param maxFailuresPerAddress    failed AUTHs per address per {@link #ADDRESS_WINDOW} (0 = no limit)
     * @param registry                 where the {@code logwire.auth} counters go, or null
     * @param clientCas                the {@code --client-ca} certificates in force now (they change when
     *                                 TLS is reloaded), for
     *                                 {@code issuer-sha256} entries
     */
    public ServerAuth(boolean required, PolicyHolder policy, int maxFailuresPerConnection, int maxFailuresPerAddress,
                      MeterRegistry registry,
                      java.util.function.Supplier<java.util.List<java.security.cert.X509Certificate>> clientCas) {
        this(required, policy, maxFailuresPerConnection, maxFailuresPerAddress, 0, registry, clientCas);
    }

    /**
     * @param maxConnectionsPerIdentity connections one identity (certificate or token) may hold
     *                                  open at once (0 = no limit)
     */
    public ServerAuth(boolean required, PolicyHolder policy, int maxFailuresPerConnection, int maxFailuresPerAddress,
                      int maxConnectionsPerIdentity, MeterRegistry registry,
                      java.util.function.Supplier<java.util.List<java.security.cert.X509Certificate>> clientCas) {
        this.maxConnectionsPerIdentity = maxConnectionsPerIdentity;
        this.identityLimited = registry == null ? null : Counter.builder("logwire.limits.rejected")
                .tag("limit", "connections_per_identity")
                .description("Requests or connections refused by an abuse limit").register(registry);
        this.clientCas = clientCas;
        this.required = required;
        this.policy = policy;
        this.maxFailuresPerConnection = maxFailuresPerConnection;
        this.addressFailures = new AuthFailures(maxFailuresPerAddress, ADDRESS_WINDOW.toNanos(), System::nanoTime);
        this.ok = counter(registry, "logwire.auth", "ok", "AUTH requests by outcome");
        this.failed = counter(registry, "logwire.auth", "failed", "AUTH requests by outcome");
        this.limited = counter(registry, "logwire.auth", "limited", "AUTH requests by outcome");
        this.denied = registry == null ? null : Counter.builder("logwire.auth.denied")
                .description("Requests answered UNAUTHORIZED because the connection lacks the role").register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String outcome, String description) {
        return registry == null ? null
                : Counter.builder(name).tag("outcome", outcome).description(description).register(registry);
    }

    /** Whether section 6.8 is enforced ({@code --require-auth}). */
    public boolean required() {
        return required;
    }

    public PolicyHolder policy() {
        return policy;
    }

    java.util.List<java.security.cert.X509Certificate> clientCas() {
        return clientCas.get();
    }

    int maxFailuresPerConnection() {
        return maxFailuresPerConnection;
    }

    AuthFailures addressFailures() {
        return addressFailures;
    }

    void count(String outcome) {
        Counter c = switch (outcome) {
            case "ok" -> ok;
            case "failed" -> failed;
            case "limited" -> limited;
            default -> denied;
        };
        if (c != null) {
            c.increment();
        }
    }

    /**
     * Counts one more connection for identity {@code name}.
     *
     * @return null if it may hold it, else why not (the connection is then not counted)
     */
    String acquireConnection(String name) {
        int max = maxConnectionsPerIdentity;
        Integer now = connections.merge(name, 1, Integer::sum);
        if (max > 0 && now > max) {
            releaseConnection(name);
            if (identityLimited != null) {
                identityLimited.increment();
            }
            return "identity '" + name + "' already holds " + max
                    + " connections (the server's --max-connections-per-identity); close one first";
        }
        return null;
    }

    /** Forgets one connection of identity {@code name}. */
    void releaseConnection(String name) {
        connections.computeIfPresent(name, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Connections identity {@code name} holds now. */
    public int connectionsOf(String name) {
        return connections.getOrDefault(name, 0);
    }

    /** Re-reads the policy file (SIGHUP); blocking. */
    public boolean reload(String trigger) {
        return policy.reload(trigger);
    }

    @Override
    public void close() {
        policy.close();
    }
}
