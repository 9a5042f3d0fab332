package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.auth.AuthPolicy;
import io.logwire.server.auth.TokenHashing;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROTOCOL.md 6.8's role table, end to end over mutual TLS: every identity (none, each role
 * alone, all roles) from a client certificate and from an AUTH token, times every opcode of
 * versions 1 and 2, gets UNAUTHORIZED exactly when the spec says so. The expected table is
 * written out here from the spec, not taken from the server's code.
 */
class AuthRoleMatrixTest {
    /** The spec's table: the role each opcode needs, or "" for none. */
    private static final Map<Opcode, String> SPEC = new EnumMap<>(Opcode.class);

    static {
        SPEC.put(Opcode.UPLOAD, "ingest");
        SPEC.put(Opcode.UPLOAD_ONCE, "ingest");
        SPEC.put(Opcode.QUERY, "query");
        SPEC.put(Opcode.SEARCH, "query");
        SPEC.put(Opcode.QUERY_FROM, "query");
        SPEC.put(Opcode.TAIL, "query");
        SPEC.put(Opcode.AGGREGATE, "query");
        SPEC.put(Opcode.STATS, "admin");
        SPEC.put(Opcode.ECHO, "");
        SPEC.put(Opcode.DOUBLE, "");
        SPEC.put(Opcode.NEGATE, "");
        SPEC.put(Opcode.HELLO, "");
        SPEC.put(Opcode.AUTH, "");
        SPEC.put(Opcode.CANCEL, "");
    }

    private static final List<Set<String>> ROLE_SETS = List.of(Set.of(), Set.of("ingest"), Set.of("query"),
            Set.of("admin"), Set.of("ingest", "query", "admin"));

    @TempDir
    static Path dir;
    static LogwireServer server;
    static CertificateGenerator.Issued ca;
    static Map<String, String> tokens = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        ca = CertificateGenerator.certificateAuthority("matrix CA", Duration.ofDays(1));
        CertificateGenerator.Issued serverCert = CertificateGenerator.signedServer(ca, "server",
                List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        Path caFile = dir.resolve("ca.crt");
        Path certFile = dir.resolve("server.crt");
        Path keyFile = dir.resolve("server.key");
        Pem.writeCertificates(caFile, List.of(ca.certificate()));
        Pem.writeCertificates(certFile, List.of(serverCert.certificate()));
        Pem.writePrivateKey(keyFile, serverCert.privateKey());
        StringBuilder policy = new StringBuilder();
        for (Set<String> roles : ROLE_SETS) {
            String name = name(roles);
            String token = TokenHashing.newToken();
            tokens.put(name, token);
            byte[] salt = TokenHashing.newSalt();
            policy.append("[[token]]\nname = \"").append(name).append("\"\nroles = ").append(toml(roles))
                    .append("\nsalt = \"").append(Base64.getEncoder().encodeToString(salt))
                    .append("\"\nsha256 = \"").append(Base64.getEncoder().encodeToString(TokenHashing.hash(salt, token)))
                    .append("\"\ncreated = \"2026-12-05T00:00:00Z\"\n\n");
            policy.append("[[certificate]]\nname = \"").append(name).append("\"\nsubject-cn = \"client-")
                    .append(name).append(roles.size() == 3
                            // One entry pins the CA by fingerprint: the CA comes from --client-ca.
                            ? "\"\nissuer-sha256 = \"" + Pem.sha256Fingerprint(ca.certificate())
                            : "\"\nissuer = \"CN=matrix CA")
                    .append("\"\nroles = ").append(toml(roles)).append("\n\n");
        }
        Path policyFile = dir.resolve("policy.toml");
        Files.writeString(policyFile, policy);
        assertThat(AuthPolicy.load(policyFile).tokens()).hasSize(ROLE_SETS.size());
        server = TestServers.start(dir.resolve("data"), b -> b.tlsCert(certFile).tlsKey(keyFile).clientCa(caFile)
                .authPolicy(policyFile).requireAuth(true));
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    private static String name(Set<String> roles) {
        return roles.isEmpty() ? "none" : roles.size() == 3 ? "all" : roles.iterator().next();
    }

    private static String toml(Set<String> roles) {
        List<String> q = new ArrayList<>();
        roles.stream().sorted().forEach(r -> q.add("\"" + r + "\""));
        return "[" + String.join(", ", q) + "]";
    }

    private static TestClient connectAs(String cn) throws Exception {
        CertificateGenerator.Issued c = CertificateGenerator.signedClient(ca, cn, Duration.ofDays(1));
        SslContext ssl = SslContextBuilder.forClient().trustManager(ca.certificate())
                .keyManager(c.privateKey(), c.certificate()).build();
        return TestClient.connect(server.port(), ssl, true);
    }

    @Test
    void everyCertificateIdentityTimesEveryOpcode() throws Exception {
        for (Set<String> roles : ROLE_SETS) {
            try (TestClient c = connectAs("client-" + name(roles))) {
                checkEveryOpcode(c, roles, "certificate " + name(roles), null);
            }
        }
    }

    @Test
    void everyTokenIdentityTimesEveryOpcode() throws Exception {
        for (Set<String> roles : ROLE_SETS) {
            // A certificate the policy does not know: no identity until AUTH.
            try (TestClient c = connectAs("unmapped")) {
                String token = tokens.get(name(roles));
                c.send(new Request.Auth(1, token));
                Reply r = c.next();
                assertThat(r).isInstanceOf(Reply.AuthOk.class);
                assertThat(((Reply.AuthOk) r).json()).contains("\"identity\":\"token:" + name(roles) + "\"");
                checkEveryOpcode(c, roles, "token " + name(roles), token);
            }
        }
    }

    @Test
    void noIdentityGetsUnauthorizedForEveryRoleBoundOpcodeAndKeepsTheConnection() throws Exception {
        try (TestClient c = connectAs("unmapped")) {
            checkEveryOpcode(c, Set.of(), "no identity", null);
            assertThat(c.isOpen()).isTrue();
        }
    }

    @Test
    void authReplacesACertificateIdentity() throws Exception {
        try (TestClient c = connectAs("client-ingest")) {
            c.send(new Request.Stats(1));
            assertThat(unauthorized(c.next())).isTrue();
            c.send(new Request.Auth(2, tokens.get("admin")));
            assertThat(c.next()).isInstanceOf(Reply.AuthOk.class);
            c.send(new Request.Stats(3));
            assertThat(c.next()).isInstanceOf(Reply.StatsOk.class);
            c.send(new Request.Upload(4, 0, Unpooled.EMPTY_BUFFER));
            assertThat(unauthorized(c.next())).as("the certificate's ingest role was replaced").isTrue();
        }
    }

    private void checkEveryOpcode(TestClient c, Set<String> roles, String who, String token) throws Exception {
        int stream = 100;
        for (Opcode op : Opcode.values()) {
            String needs = SPEC.get(op);
            assertThat(needs).as("the test's table covers " + op).isNotNull();
            boolean allowed = needs.isEmpty() || roles.contains(needs);
            int id = stream++;
            Request req = request(op, id, token);
            if (req == null) {
                continue; // AUTH without a token of this identity: tested separately
            }
            c.send(req);
            // An ECHO after it: every reply to `id` that the server sends at once arrives before the echo's.
            int marker = stream++;
            c.send(new Request.Echo(marker, Unpooled.copiedBuffer("m", StandardCharsets.US_ASCII)));
            boolean refused = false;
            while (true) {
                Reply r = c.next();
                if (r.streamId() == marker) {
                    assertThat(r).isInstanceOf(Reply.EchoOk.class);
                    io.netty.util.ReferenceCountUtil.release(r);
                    break;
                }
                if (r.streamId() == id && unauthorized(r)) {
                    refused = true;
                }
                io.netty.util.ReferenceCountUtil.release(r);
            }
            assertThat(refused).as(who + " sending " + op + (allowed ? " must reach the handler" : " must be refused"))
                    .isEqualTo(!allowed);
            if (op == Opcode.TAIL && allowed) {
                c.send(new Request.Cancel(stream++, id));
            }
            assertThat(c.isOpen()).isTrue();
        }
    }

    private static boolean unauthorized(Reply r) {
        return r instanceof Reply.Error e && e.code() == ErrorCode.UNAUTHORIZED.code();
    }

    private static Request request(Opcode op, int id, String token) {
        LogEntry e = new LogEntry("u", "10.0.0.1", 80, 1, 2, 3, 0.5f, "web");
        switch (op) {
            case UPLOAD: {
                ByteBuf b = Unpooled.buffer();
                LogEntryCodec.encode(e, b);
                return new Request.Upload(id, 1, b);
            }
            case UPLOAD_ONCE: {
                ByteBuf b = Unpooled.buffer();
                LogEntryCodec.encode(e, b);
                return new Request.UploadOnce(id, BatchId.random(), 1, b);
            }
            case QUERY:
                return new Request.Query(id, 10, "port=80");
            case SEARCH:
                return new Request.Search(id, 10, "web");
            case QUERY_FROM:
                return new Request.QueryFrom(id, 0, 10, "port=80");
            case TAIL:
                return new Request.Tail(id, 0, "port=80");
            case AGGREGATE:
                return new Request.Aggregate(id, "count by server");
            case STATS:
                return new Request.Stats(id);
            case ECHO:
                return new Request.Echo(id, Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII));
            case DOUBLE:
                return new Request.DoubleValue(id, 2);
            case NEGATE:
                return new Request.NegateValue(id, 2);
            case HELLO:
                return new Request.Hello(id, 1, 0, "matrix");
            case CANCEL:
                return new Request.Cancel(id, 999_999);
            case AUTH:
                return token == null ? null : new Request.Auth(id, token);
            default:
                throw new AssertionError(op);
        }
    }
}
