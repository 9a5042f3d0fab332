package io.logwire.client.cli;

import io.logwire.client.BearerToken;
import io.logwire.client.ClientConfig;
import io.logwire.client.ConfigurationException;
import io.logwire.client.ConnectionException;
import io.logwire.client.LogwireClient;
import io.logwire.client.ServerErrorException;
import io.logwire.client.support.TestServer;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.server.auth.AuthPolicy;
import io.logwire.server.auth.Role;
import io.logwire.server.auth.TokenEntry;
import io.logwire.server.auth.TokenHashing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Token support end to end: the library sends AUTH after HELLO, the CLI reads --token-file, refusals are clear. */
class ClientAuthTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static String token;

    @BeforeAll
    static void start() throws IOException {
        token = TokenHashing.newToken();
        byte[] salt = TokenHashing.newSalt();
        Path policy = dir.resolve("auth.toml");
        AuthPolicy.EMPTY.withToken(new TokenEntry("reader", Set.of(Role.QUERY, Role.ADMIN), salt,
                TokenHashing.hash(salt, token), Instant.parse("2026-12-05T00:00:00Z"))).write(policy);
        server = TestServer.start(TestServer.base(dir.resolve("data")).authPolicy(policy).requireAuth(true));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theLibrarySendsTheTokenAfterHello() {
        ClientConfig config = server.client().token(token).build();
        assertThat(config.toString()).doesNotContain(token);
        try (LogwireClient c = LogwireClient.connect(config)) {
            assertThat(c.authResult()).isEqualTo("{\"identity\":\"token:reader\",\"roles\":[\"query\",\"admin\"]}");
            assertThat(c.sync().stats()).contains("entriesStored");
            assertThatThrownBy(() -> c.sync().upload(List.of(new LogEntry("u", "1.2.3.4", 1, 1, 1, 1, 1, "s"))))
                    .isInstanceOfSatisfying(ServerErrorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAUTHORIZED));
        }
    }

    @Test
    void aRefusedTokenIsAClearConnectionException() {
        assertThatThrownBy(() -> LogwireClient.connect(server.client().token("lwt_not-a-real-token").build()))
                .isInstanceOfSatisfying(ConnectionException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ConnectionException.Reason.AUTH_REFUSED);
                    assertThat(e.getMessage()).contains("refused the token").doesNotContain("lwt_not-a-real-token");
                });
    }

    @Test
    void theCliReadsTheTokenFileAndExitsFourWhenItIsRefused() throws IOException {
        Path good = dir.resolve("good.token");
        Files.writeString(good, token + "\n");
        Path bad = dir.resolve("bad.token");
        Files.writeString(bad, "lwt_wrong\n");
        Path empty = dir.resolve("empty.token");
        Files.writeString(empty, "\n");

        assertThat(run("stats", "--token-file", good.toString()).code).isZero();
        Result refused = run("--token-file", bad.toString(), "stats");
        assertThat(refused.code).isEqualTo(ExitCodes.AUTH_REFUSED);
        assertThat(refused.err).contains("refused the token");
        Result noToken = run("stats");
        assertThat(noToken.code).as("no identity: STATS is UNAUTHORIZED").isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(noToken.err).contains("UNAUTHORIZED");
        assertThat(run("--token-file", empty.toString(), "stats").code).isEqualTo(ExitCodes.USAGE);
        assertThat(run("--token-file", dir.resolve("missing").toString(), "stats").code).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void tokenSourcesAndRedaction() throws IOException {
        Path f = dir.resolve("t.token");
        Files.writeString(f, "  lwt_abc \n");
        assertThat(ConnectionOptions.token(f, "lwt_env").value()).as("the file wins").isEqualTo("lwt_abc");
        assertThat(ConnectionOptions.token(null, "lwt_env").value()).isEqualTo("lwt_env");
        assertThat(ConnectionOptions.token(null, null)).isNull();
        assertThat(ConnectionOptions.token(null, " ")).isNull();
        Files.writeString(f, "lwt_a\nlwt_b\n");
        assertThatThrownBy(() -> ConnectionOptions.token(f, null)).isInstanceOf(ConfigurationException.class);
        assertThat(new BearerToken("lwt_secret").toString()).doesNotContain("secret");
    }

    record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(new String[] {"--host", "127.0.0.1", "--port", String.valueOf(server.port()), "--ca",
                server.certificate().toString()}, 0, all, 0, 6);
        System.arraycopy(args, 0, all, 6, args.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(all, new ByteArrayInputStream(new byte[0]), out, err, false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
