package io.logwire.server.auth;

import io.logwire.protocol.message.Opcode;
import io.logwire.tls.CertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuthPolicyTest {
    @TempDir
    Path dir;

    private static TokenEntry entry(String name, String token, Role... roles) {
        byte[] salt = TokenHashing.newSalt();
        return new TokenEntry(name, Set.of(roles), salt, TokenHashing.hash(salt, token),
                Instant.parse("2026-12-05T00:00:00Z"));
    }

    @Test
    void writtenPoliciesReadBackAndHoldNoToken() throws Exception {
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("CA \"quoted\", Inc", Duration.ofDays(1));
        String t = TokenHashing.newToken();
        AuthPolicy p = new AuthPolicy(List.of(entry("a", t, Role.INGEST)), List.of(
                new CertificateEntry("ui", "ui-client", null, ca.certificate().getSubjectX500Principal(), null,
                        Set.of(Role.QUERY, Role.ADMIN)),
                new CertificateEntry("bot", null, "dns:bot.example", ca.certificate().getSubjectX500Principal(), null,
                        Set.of()),
                new CertificateEntry("fp", "fp-client", null, null,
                        io.logwire.tls.Pem.sha256Fingerprint(ca.certificate()).replace(":", "").toLowerCase(),
                        Set.of(Role.INGEST))));
        Path f = dir.resolve("p.toml");
        p.write(f);
        String text = Files.readString(f);
        assertThat(text).doesNotContain(t).doesNotContain(t.substring(4));
        AuthPolicy back = AuthPolicy.load(f);
        assertThat(back.tokens()).isEqualTo(p.tokens());
        assertThat(back.certificates()).isEqualTo(p.certificates());
        assertThat(back.authenticate(t).name()).isEqualTo("token:a");
        assertThat(back.authenticate(t + "x")).isNull();
    }

    @Test
    void badPoliciesAreRefusedWithTheEntry() {
        String ok = "salt = \"AAAAAAAAAAAAAAAAAAAAAA==\"\nsha256 = \"" + "A".repeat(43) + "=\"\n"
                + "created = \"2026-12-05T00:00:00Z\"\n";
        assertThatThrownBy(() -> AuthPolicy.parse("[[tokn]]\nname=\"a\"\n", "f")).hasMessageContaining("unknown key 'tokn'");
        assertThatThrownBy(() -> AuthPolicy.parse("[[token]]\nname=\"a\"\nroles=[\"root\"]\n" + ok, "f"))
                .hasMessageContaining("unknown role 'root'");
        assertThatThrownBy(() -> AuthPolicy.parse("[[token]]\nname=\"a\"\nroles=[]\nhash=\"x\"\n" + ok, "f"))
                .hasMessageContaining("[[token]] #1").hasMessageContaining("unknown key 'hash'");
        assertThatThrownBy(() -> AuthPolicy.parse("[[token]]\nname=\"a\"\nroles=[]\n" + ok
                + "[[token]]\nname=\"a\"\nroles=[]\n" + ok, "f")).hasMessageContaining("two tokens named 'a'");
        assertThatThrownBy(() -> AuthPolicy.parse("[[token]]\nname=\"a b\"\nroles=[]\n" + ok, "f"))
                .hasMessageContaining("a name is");
        assertThatThrownBy(() -> AuthPolicy.parse("[[token]]\nname=\"a\"\nroles=[]\n", "f"))
                .hasMessageContaining("'salt' is missing");
        assertThatThrownBy(() -> AuthPolicy.parse("[[certificate]]\nname=\"c\"\nroles=[]\nissuer=\"CN=x\"\n", "f"))
                .hasMessageContaining("exactly one of subject-cn and san");
        assertThatThrownBy(() -> AuthPolicy.parse(
                "[[certificate]]\nname=\"c\"\nroles=[]\nsan=\"host\"\nissuer=\"CN=x\"\n", "f"))
                .hasMessageContaining("dns:NAME");
        assertThatThrownBy(() -> AuthPolicy.parse("[[certificate]]\nname=\"c\"\nroles=[]\nsubject-cn=\"x\"\n", "f"))
                .hasMessageContaining("exactly one of issuer and issuer-sha256");
        assertThatThrownBy(() -> AuthPolicy.parse(
                "[[certificate]]\nname=\"c\"\nroles=[]\nsubject-cn=\"x\"\nissuer-sha256=\"AB:CD\"\n", "f"))
                .hasMessageContaining("32 bytes of hex");
        assertThatThrownBy(() -> AuthPolicy.parse("x = ", "f")).hasMessageContaining("not valid TOML");
        assertThatThrownBy(() -> AuthPolicy.load(dir.resolve("none.toml"))).hasMessageContaining("does not exist");
    }

    @Test
    void everyEntryIsHashedAndComparedWhereverTheMatchIs() {
        List<String> tokens = new ArrayList<>();
        List<TokenEntry> entries = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String t = TokenHashing.newToken();
            tokens.add(t);
            entries.add(entry("t" + i, t, Role.QUERY));
        }
        AuthPolicy p = new AuthPolicy(entries, List.of());
        for (String probe : List.of(tokens.get(0), tokens.get(7), "lwt_nothing")) {
            long before = TokenHashing.HASHES.sum();
            p.authenticate(probe);
            assertThat(TokenHashing.HASHES.sum() - before).as("hashes for one AUTH").isEqualTo(8);
        }
        assertThat(p.authenticate(tokens.get(3)).name()).isEqualTo("token:t3");
        assertThat(p.authenticate("x".repeat(TokenHashing.MAX_TOKEN_CHARS + 1))).isNull();
    }

    @Test
    void certificatesMatchByCnOrSanAndOnlyFromTheNamedIssuer() throws Exception {
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("CA one", Duration.ofDays(1));
        CertificateGenerator.Issued other = CertificateGenerator.certificateAuthority("CA two", Duration.ofDays(1));
        var alice = CertificateGenerator.signedClient(ca, "alice", Duration.ofDays(1)).certificate();
        var aliceFromOther = CertificateGenerator.signedClient(other, "alice", Duration.ofDays(1)).certificate();
        var server = CertificateGenerator.signedServer(ca, "srv", List.of("svc.example", "10.1.2.3"),
                Duration.ofDays(1)).certificate();
        AuthPolicy p = new AuthPolicy(List.of(), List.of(
                new CertificateEntry("alice", "alice", null, ca.certificate().getSubjectX500Principal(), null,
                        Set.of(Role.QUERY)),
                new CertificateEntry("svc", null, "DNS:SVC.example", ca.certificate().getSubjectX500Principal(), null,
                        Set.of(Role.INGEST)),
                new CertificateEntry("ip", null, "ip:10.1.2.3", other.certificate().getSubjectX500Principal(), null,
                        Set.of(Role.ADMIN))));
        assertThat(p.identify(alice).name()).isEqualTo("cert:alice");
        assertThat(p.identify(alice).roles()).containsExactly(Role.QUERY);
        assertThat(p.identify(aliceFromOther)).as("same CN, another CA").isNull();
        assertThat(p.identify(server).name()).as("DNS SANs compare case-insensitively").isEqualTo("cert:svc");

        // By the issuing CA's fingerprint: only when that CA (same name, same key) is among the candidates.
        CertificateGenerator.Issued impostor = CertificateGenerator.certificateAuthority("CA one", Duration.ofDays(1));
        var bob = CertificateGenerator.signedClient(ca, "bob", Duration.ofDays(1)).certificate();
        var bobFromImpostor = CertificateGenerator.signedClient(impostor, "bob", Duration.ofDays(1)).certificate();
        AuthPolicy byFingerprint = new AuthPolicy(List.of(), List.of(new CertificateEntry("bob", "bob", null, null,
                io.logwire.tls.Pem.sha256Fingerprint(ca.certificate()), Set.of(Role.QUERY))));
        List<java.security.cert.X509Certificate> cas = List.of(impostor.certificate(), ca.certificate());
        assertThat(byFingerprint.identify(bob, cas).name()).isEqualTo("cert:bob");
        assertThat(byFingerprint.identify(bob, List.of(impostor.certificate()))).isNull();
        assertThat(byFingerprint.identify(bobFromImpostor, cas)).as("same issuer name, other key").isNull();
        assertThat(byFingerprint.identify(bob)).as("no candidates").isNull();
    }

    @Test
    void theRoleTableIsTheSpecs() {
        for (Opcode op : Opcode.values()) {
            Role r = Role.requiredFor(op);
            switch (op.name()) {
                case "UPLOAD", "UPLOAD_ONCE" -> assertThat(r).isEqualTo(Role.INGEST);
                case "QUERY", "SEARCH", "QUERY_FROM", "TAIL", "AGGREGATE" -> assertThat(r).isEqualTo(Role.QUERY);
                case "STATS" -> assertThat(r).isEqualTo(Role.ADMIN);
                default -> assertThat(r).as(op.name()).isNull();
            }
        }
        assertThat(Identity.ANONYMOUS.toJson()).isEqualTo("{\"identity\":\"anonymous\",\"roles\":[\"ingest\",\"query\",\"admin\"]}");
    }

    @Test
    void addressFailuresBlockWithinTheWindowAndStayBounded() throws Exception {
        AtomicLong now = new AtomicLong();
        AuthFailures f = new AuthFailures(3, 1000, now::get);
        var a = java.net.InetAddress.getByName("10.0.0.1");
        var b = java.net.InetAddress.getByName("10.0.0.2");
        f.failed(a);
        f.failed(a);
        assertThat(f.blocked(a)).isFalse();
        f.failed(a);
        assertThat(f.blocked(a)).isTrue();
        assertThat(f.blocked(b)).isFalse();
        now.set(1000);
        assertThat(f.blocked(a)).as("the window is over").isFalse();
        for (int i = 0; i < AuthFailures.MAX_ADDRESSES + 100; i++) {
            f.failed(java.net.InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
        }
        assertThat(f.tracked()).isLessThanOrEqualTo(AuthFailures.MAX_ADDRESSES);
        assertThat(new AuthFailures(0, 1000, now::get).blocked(a)).isFalse();
    }

    @Test
    void policyHolderReloadsOnChangeAndKeepsTheOldPolicyOnErrors() throws Exception {
        String t1 = TokenHashing.newToken();
        Path f = dir.resolve("p.toml");
        AuthPolicy.EMPTY.withToken(entry("one", t1, Role.QUERY)).write(f);
        try (PolicyHolder h = PolicyHolder.load(f, Duration.ZERO)) {
            assertThat(h.checkForChanges()).isFalse();
            String t2 = TokenHashing.newToken();
            AuthPolicy.load(f).withToken(entry("two", t2, Role.ADMIN)).write(f);
            long v = h.version();
            assertThat(h.checkForChanges()).isTrue();
            assertThat(h.version()).isGreaterThan(v);
            assertThat(h.policy().authenticate(t2).name()).isEqualTo("token:two");
            Files.writeString(f, "garbage = ");
            assertThat(h.checkForChanges()).isFalse();
            assertThat(h.policy().authenticate(t1)).isNotNull();
        }
    }
}
