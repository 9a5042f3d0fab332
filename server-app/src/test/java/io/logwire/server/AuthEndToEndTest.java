package io.logwire.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.auth.AuthPolicy;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * AUTH end to end (plaintext, to keep it quick; the role matrix runs over TLS): tokens made by
 * {@code logwire-server token create}, revocation without a restart, the failed-AUTH limits,
 * the open server's anonymous answer, and that no token ever reaches the log.
 */
class AuthEndToEndTest {
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private Level rootLevel;
    private LogwireServer server;
    private Path policy;

    @BeforeEach
    void setUp() {
        policy = dir.resolve("policy.toml");
        rootLevel = root.getLevel();
        root.setLevel(Level.TRACE);
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop();
        }
        root.detachAppender(logs);
        root.setLevel(rootLevel);
    }

    private String createToken(String name, String roles) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"token", "create", "--name", name, "--roles", roles, "--policy",
                policy.toString()}, Map.of(), new PrintWriter(out), new PrintWriter(err));
        assertThat(code).as(err.toString()).isZero();
        String token = out.toString().strip();
        assertThat(token).startsWith("lwt_").doesNotContain("\n");
        return token;
    }

    private int token(String... args) {
        return Main.run(args, Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    private void start(Consumer<ServerConfig.Builder> more) throws Exception {
        server = TestServers.start(dir.resolve("data"), b -> {
            b.plaintext(true).authPolicy(policy).requireAuth(true).tlsWatchInterval(Duration.ofMillis(50));
            more.accept(b);
        });
    }

    private static Reply auth(TestClient c, int id, String token) throws Exception {
        c.send(new Request.Auth(id, token));
        return c.next();
    }

    private static boolean unauthorized(Reply r) {
        return r instanceof Reply.Error e && e.code() == ErrorCode.UNAUTHORIZED.code();
    }

    @Test
    void tokenCommandCreatesListsAndRevokesWithoutStoringTheToken() throws Exception {
        String token = createToken("shipper", "ingest,query");
        String text = Files.readString(policy);
        assertThat(text).doesNotContain(token).doesNotContain(token.substring(4));
        assertThat(AuthPolicy.load(policy).tokens()).singleElement()
                .satisfies(t -> assertThat(t.name()).isEqualTo("shipper"));
        if (policy.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(Files.getPosixFilePermissions(policy)).extracting(Object::toString)
                    .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        }
        StringWriter out = new StringWriter();
        assertThat(Main.run(new String[] {"token", "list", "--policy", policy.toString()}, Map.of(),
                new PrintWriter(out), new PrintWriter(new StringWriter()))).isZero();
        assertThat(out.toString()).contains("shipper").contains("ingest,query").doesNotContain(token);
        assertThat(token("token", "create", "--name", "shipper", "--roles", "admin", "--policy", policy.toString()))
                .as("duplicate name").isEqualTo(1);
        assertThat(token("token", "create", "--name", "x", "--roles", "root", "--policy", policy.toString()))
                .as("unknown role").isEqualTo(1);
        assertThat(token("token", "revoke", "--name", "shipper", "--policy", policy.toString())).isZero();
        assertThat(AuthPolicy.load(policy).tokens()).isEmpty();
        assertThat(token("token", "revoke", "--name", "shipper", "--policy", policy.toString())).isEqualTo(1);
    }

    @Test
    void anIdentityOverItsConnectionLimitIsRefusedAndClosedAndAClosedConnectionFreesItsPlace() throws Exception {
        String shared = createToken("fleet", "ingest");
        String other = createToken("other", "ingest");
        start(b -> b.maxConnectionsPerIdentity(2));
        try (TestClient a = TestClient.connect(server.port(), null);
             TestClient b = TestClient.connect(server.port(), null);
             TestClient c = TestClient.connect(server.port(), null);
             TestClient d = TestClient.connect(server.port(), null)) {
            assertThat(auth(a, 1, shared)).isInstanceOf(Reply.AuthOk.class);
            assertThat(auth(b, 1, shared)).isInstanceOf(Reply.AuthOk.class);
            assertThat(auth(a, 2, shared)).as("AUTH again as the same identity takes no new place")
                    .isInstanceOf(Reply.AuthOk.class);
            Reply.Error e = (Reply.Error) auth(c, 1, shared);
            assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED.code());
            assertThat(e.message()).contains("identity 'token:fleet' already holds 2 connections");
            assertThat(c.awaitClosed(5000)).isTrue();
            assertThat(auth(d, 1, other)).as("another identity is not affected").isInstanceOf(Reply.AuthOk.class);
            assertThat(server.auth().connectionsOf("token:fleet")).isEqualTo(2);
            b.close();
            awaitConnectionsOf("token:fleet", 1);
            try (TestClient again = TestClient.connect(server.port(), null)) {
                assertThat(auth(again, 1, shared)).isInstanceOf(Reply.AuthOk.class);
            }
            awaitConnectionsOf("token:fleet", 1);
            assertThat(auth(d, 2, shared)).as("switching identity moves the place")
                    .isInstanceOf(Reply.AuthOk.class);
            assertThat(server.auth().connectionsOf("token:other")).isZero();
            assertThat(server.auth().connectionsOf("token:fleet")).isEqualTo(2);
        }
    }

    private void awaitConnectionsOf(String identity, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.auth().connectionsOf(identity) != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.auth().connectionsOf(identity)).isEqualTo(n);
    }

    @Test
    void aRevokedTokenStopsWorkingWithoutARestartAlsoOnConnectionsThatUsedIt() throws Exception {
        String keep = createToken("keep", "admin");
        String gone = createToken("gone", "admin");
        start(b -> { });
        try (TestClient before = TestClient.connect(server.port(), null)) {
            assertThat(auth(before, 1, gone)).isInstanceOf(Reply.AuthOk.class);
            before.send(new Request.Stats(2));
            assertThat(before.next()).isInstanceOf(Reply.StatsOk.class);

            assertThat(token("token", "revoke", "--name", "gone", "--policy", policy.toString())).isZero();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean refused = false;
            int id = 10;
            while (!refused && System.nanoTime() < deadline) {
                try (TestClient c = TestClient.connect(server.port(), null)) {
                    refused = unauthorized(auth(c, id++, gone));
                }
                if (!refused) {
                    Thread.sleep(50);
                }
            }
            assertThat(refused).as("new AUTH with the revoked token fails").isTrue();
            before.send(new Request.Stats(3));
            assertThat(unauthorized(before.next())).as("the connection that used it lost its identity").isTrue();
            assertThat(before.isOpen()).isTrue();
            assertThat(auth(before, 4, keep)).as("the other token still works").isInstanceOf(Reply.AuthOk.class);
        }
        // SIGHUP's path: a token added to the file works after reloadAuthPolicy.
        String added = createToken("added", "query");
        server.reloadAuthPolicy("test");
        try (TestClient c = TestClient.connect(server.port(), null)) {
            assertThat(auth(c, 1, added)).isInstanceOf(Reply.AuthOk.class);
        }
        assertNoTokenLogged(keep, gone, added);
    }

    @Test
    void aPolicyThatNoLongerParsesKeepsTheOldOne() throws Exception {
        String t = createToken("a", "query");
        start(b -> b.tlsWatchInterval(Duration.ZERO));
        Files.writeString(policy, Files.readString(policy) + "\n[[token]]\nname = \"broken\"\n");
        assertThat(server.reloadAuthPolicy("test")).isFalse();
        try (TestClient c = TestClient.connect(server.port(), null)) {
            assertThat(auth(c, 1, t)).isInstanceOf(Reply.AuthOk.class);
        }
        assertThat(logged()).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("not reloaded"));
    }

    @Test
    void failedAuthsCloseTheConnectionAndThenBlockTheAddress() throws Exception {
        String good = createToken("good", "ingest");
        start(b -> b.authMaxFailures(3).authMaxFailuresPerAddress(5));
        try (TestClient c = TestClient.connect(server.port(), null)) {
            assertThat(unauthorized(auth(c, 1, "lwt_wrong1"))).isTrue();
            assertThat(unauthorized(auth(c, 2, "lwt_wrong2"))).isTrue();
            assertThat(c.isOpen()).isTrue();
            Reply third = auth(c, 3, "lwt_wrong3");
            assertThat(unauthorized(third)).isTrue();
            assertThat(c.awaitClosed(5000)).as("closed after 3 failures").isTrue();
        }
        try (TestClient c = TestClient.connect(server.port(), null)) {
            assertThat(auth(c, 1, good)).as("a good token still works at 3 failures").isInstanceOf(Reply.AuthOk.class);
            assertThat(unauthorized(auth(c, 2, "lwt_wrong4"))).isTrue();
            assertThat(unauthorized(auth(c, 3, "lwt_wrong5"))).isTrue();
        }
        try (TestClient c = TestClient.connect(server.port(), null)) {
            Reply r = auth(c, 1, good);
            assertThat(unauthorized(r)).as("5 failures from this address: even a good token is refused").isTrue();
            assertThat(((Reply.Error) r).message()).contains("too many failed AUTH");
            assertThat(c.awaitClosed(5000)).isTrue();
        }
        String metrics = server.stats().metrics().scrape();
        assertThat(metrics).contains("logwire_auth_total{outcome=\"failed\"} 5.0")
                .contains("logwire_auth_total{outcome=\"limited\"} 1.0");
        assertNoTokenLogged(good);
    }

    @Test
    void withoutRequireAuthEveryoneIsAnonymousWithEveryRole() throws Exception {
        server = TestServers.start(dir.resolve("data"), b -> b.plaintext(true));
        try (TestClient c = TestClient.connect(server.port(), null)) {
            Reply r = auth(c, 1, "lwt_anything");
            assertThat(r).isEqualTo(new Reply.AuthOk(1,
                    "{\"identity\":\"anonymous\",\"roles\":[\"ingest\",\"query\",\"admin\"]}"));
            c.send(new Request.Stats(2));
            assertThat(c.next()).isInstanceOf(Reply.StatsOk.class);
        }
    }

    @Test
    void theConnectionLogNamesTheIdentity() throws Exception {
        String t = createToken("reader", "query");
        start(b -> { });
        try (TestClient c = TestClient.connect(server.port(), null)) {
            assertThat(auth(c, 1, t)).isInstanceOf(Reply.AuthOk.class);
            c.send(new Request.Upload(2, 0, Unpooled.EMPTY_BUFFER));
            assertThat(unauthorized(c.next())).isTrue();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline && logged().stream().noneMatch(e -> e.getLoggerName()
                .equals(ConnectionLog.class.getName()))) {
            Thread.sleep(20);
        }
        assertThat(logged()).filteredOn(e -> e.getLoggerName().equals(ConnectionLog.class.getName()))
                .anySatisfy(e -> assertThat(e.getKeyValuePairs()).anySatisfy(kv -> {
                    assertThat(kv.key).isEqualTo("identity");
                    assertThat(kv.value).isEqualTo("token:reader");
                }));
        assertNoTokenLogged(t);
    }

    @Test
    void requireAuthNeedsAPolicyAndRefusesTheCompatListenersWithoutAuth() {
        assertThatThrownBy(() -> ServerConfig.builder().requireAuth(true).build())
                .hasMessageContaining("--auth-policy");
        assertThatThrownBy(() -> ServerConfig.builder().requireAuth(true).authPolicy(policy).legacyPort(-1).build())
                .hasMessageContaining("--legacy-port");
        assertThatThrownBy(() -> ServerConfig.builder().requireAuth(true).authPolicy(policy).appPort(-1).build())
                .hasMessageContaining("--app-port");
        ServerConfig.builder().requireAuth(true).authPolicy(policy).echoPort(-1).build();
    }

    @Test
    void theAuthOptionsComeFromFlagsEnvironmentAndTheConfigFile() throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "auth-policy = \"" + policy.toString().replace("\\", "\\\\")
                + "\"\nrequire-auth = true\nauth-max-failures = 5\n");
        picocli.CommandLine cl = Main.commandLine(new String[] {"--config", file.toString()},
                Map.of("LOGWIRE_AUTH_MAX_FAILURES_PER_ADDRESS", "7"));
        cl.parseArgs("--config", file.toString());
        ServerConfig c = ((Main) cl.getCommand()).config();
        assertThat(c.authPolicy()).isEqualTo(policy);
        assertThat(c.requireAuth()).isTrue();
        assertThat(c.authMaxFailures()).isEqualTo(5);
        assertThat(c.authMaxFailuresPerAddress()).isEqualTo(7);
        StringWriter out = new StringWriter();
        assertThat(Main.run(new String[] {"--help"}, Map.of(), new PrintWriter(out), new PrintWriter(new StringWriter())))
                .isZero();
        assertThat(out.toString()).contains("--auth-policy", "--require-auth", "--auth-max-failures", "token");
    }

    @Test
    void aMissingPolicyFileStopsTheStart() {
        assertThatThrownBy(() -> start(b -> { })).hasMessageContaining("does not exist");
    }

    /** A snapshot of the captured events (the appender is appended to from other threads). */
    private java.util.List<ILoggingEvent> logged() {
        synchronized (logs) {
            return new java.util.ArrayList<>(logs.list);
        }
    }

    private void assertNoTokenLogged(String... tokens) {
        assertThat(logged()).isNotEmpty();
        for (ILoggingEvent e : logged()) {
            StringBuilder all = new StringBuilder(e.getFormattedMessage());
            if (e.getKeyValuePairs() != null) {
                e.getKeyValuePairs().forEach(kv -> all.append(' ').append(kv.key).append('=').append(kv.value));
            }
            if (e.getThrowableProxy() != null) {
                all.append(e.getThrowableProxy().getMessage());
            }
            for (String t : tokens) {
                assertThat(all.toString()).doesNotContain(t).doesNotContain(t.substring(4));
            }
        }
    }
}
