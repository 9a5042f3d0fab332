package io.logwire.server.compat;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.server.LogwireServer;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static io.logwire.server.compat.CompatTestSupport.assertClosedSilently;
import static io.logwire.server.compat.CompatTestSupport.await;
import static io.logwire.server.compat.CompatTestSupport.concat;
import static io.logwire.server.compat.CompatTestSupport.encode;
import static io.logwire.server.compat.CompatTestSupport.hex;
import static io.logwire.server.compat.CompatTestSupport.readToEof;
import static io.logwire.server.compat.CompatTestSupport.u16;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON-header application protocol (PROTOCOL.md Appendix A.2) against a real server: the
 * bytes the tutorial's libclient sends, and the whole reply (header included) compared exactly.
 */
class AppListenerTest {
    static final String BYTEORDER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "little" : "big";

    @TempDir
    Path dataDir;
    LogwireServer server;

    @BeforeEach
    void start() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        List<LogEntry> entries = List.of(
                new LogEntry("alice", "10.0.0.1", 80, 1, 2, 3, 1f, "web-01"),
                new LogEntry("bob", "10.0.0.2", 80, 1, 2, 3, 1f, "Alice-box"),
                new LogEntry("carol", "10.0.0.3", 80, 1, 2, 3, 1f, "db-01"),
                new LogEntry("Ярослав", "10.0.0.4", 80, 1, 2, 3, 1f, "web-02"));
        server.store().append(Unpooled.wrappedBuffer(encode(entries)), entries.size()).join();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    /** The tutorial's libclient message: {@code >H} header length, JSON header (its key order), content. */
    static byte[] request(String type, String encoding, byte[] content) {
        String header = "{\"byteorder\": \"little\", \"content-type\": \"" + type + "\", \"content-encoding\": \""
                + encoding + "\", \"content-length\": " + content.length + "}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return concat(u16(h.length), h, content);
    }

    static byte[] jsonRequest(String json) {
        return request("text/json", "utf-8", json.getBytes(StandardCharsets.UTF_8));
    }

    /** What the server must send: the same layout with its own byteorder. */
    static byte[] reply(String type, String encoding, byte[] content) {
        String header = "{\"byteorder\": \"" + BYTEORDER + "\", \"content-type\": \"" + type
                + "\", \"content-encoding\": \"" + encoding + "\", \"content-length\": " + content.length + "}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return concat(u16(h.length), h, content);
    }

    static byte[] jsonReply(String json) {
        return reply("text/json", "utf-8", json.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] binaryReply(byte[] content) {
        return reply("binary/custom-server-binary-type", "binary", content);
    }

    byte[] exchange(byte[] request) throws Exception {
        try (Socket s = CompatTestSupport.plain(server.appPort())) {
            s.getOutputStream().write(request);
            return readToEof(s); // one request per connection: the server closes after the reply
        }
    }

    @Test
    void searchHitCountsWhatSearchReturns() throws Exception {
        // "alice" is in alice's username and in bob's server name, case-insensitively.
        assertThat(exchange(jsonRequest("{\"action\": \"search\", \"value\": \"ALICE\"}")))
                .isEqualTo(jsonReply("{\"result\": \"2 entries match \\\"ALICE\\\".\"}"));
        assertThat(exchange(jsonRequest("{\"action\": \"search\", \"value\": \"web-0\"}")))
                .isEqualTo(jsonReply("{\"result\": \"2 entries match \\\"web-0\\\".\"}"));
        assertThat(server.stats().messagesReceived()).isEqualTo(2);
        assertThat(server.stats().connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void searchMiss() throws Exception {
        assertThat(exchange(jsonRequest("{\"action\": \"search\", \"value\": \"morpheus\"}")))
                .isEqualTo(jsonReply("{\"result\": \"No match for \\\"morpheus\\\".\"}"));
    }

    @Test
    void nonAsciiIsSentAsUtf8LikeTheTutorialsServer() throws Exception {
        assertThat(exchange(jsonRequest("{\"action\": \"search\", \"value\": \"\\u044f\\u0440\\u043e\"}")))
                .isEqualTo(jsonReply("{\"result\": \"1 entries match \\\"яро\\\".\"}"));
    }

    @Test
    void unknownAction() throws Exception {
        assertThat(exchange(jsonRequest("{\"action\": \"find\", \"value\": \"x\"}")))
                .isEqualTo(jsonReply("{\"result\": \"Error: invalid action \\\"find\\\".\"}"));
    }

    @Test
    void doubleAndNegateAsTheAssignmentPacksThem() throws Exception {
        // struct.pack('>6si', b'double', 7654321)
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", hex("646f75626c650074cbb1"))))
                .isEqualTo(binaryReply(hex("726573756c7400e99762"))); // b'result' + 15308642
        // struct.pack('>6si', b'negate', -300)
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", hex("6e6567617465fffffed4"))))
                .isEqualTo(binaryReply(hex("726573756c740000012c"))); // b'result' + 300
    }

    @Test
    void overflowIsAJsonError() throws Exception {
        byte[] expected = jsonReply("{\"result\": \"Error: integer overflow\"}");
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", hex("646f75626c657fffffff"))))
                .isEqualTo(expected);
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", hex("6e656761746580000000"))))
                .isEqualTo(expected);
    }

    @Test
    void otherBinaryGetsItsFirstTenBytes() throws Exception {
        byte[] prefix = "First 10 bytes of request: ".getBytes(StandardCharsets.US_ASCII);
        byte[] content = hex("00ff0102030405060708090a0b0c");
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", content)))
                .isEqualTo(binaryReply(concat(prefix, hex("00ff0102030405060708"))));
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", "doubl".getBytes())))
                .isEqualTo(binaryReply(concat(prefix, "doubl".getBytes())));
        // 10 bytes that do not start with a command word
        assertThat(exchange(request("binary/custom-client-binary-type", "binary", "triple0001".getBytes())))
                .isEqualTo(binaryReply(concat(prefix, "triple0001".getBytes())));
    }

    @Test
    void requestSplitAtEveryByteBoundary() throws Exception {
        byte[] request = request("binary/custom-client-binary-type", "binary", hex("646f75626c650074cbb1"));
        for (int split = 1; split < request.length; split++) {
            try (Socket s = CompatTestSupport.plain(server.appPort())) {
                OutputStream out = s.getOutputStream();
                long base = server.stats().bytesReceived();
                out.write(request, 0, split);
                await(server.stats()::bytesReceived, base + split);
                out.write(request, split, request.length - split);
                assertThat(readToEof(s)).as("split at %d", split).isEqualTo(binaryReply(hex("726573756c7400e99762")));
            }
        }
    }

    @Test
    void headerThatIsNotJsonOrLacksAKeyClosesTheConnection() throws Exception {
        for (String header : List.of("not json", "[1, 2]", "{\"byteorder\": \"little\", \"content-type\": \"text/json\", "
                + "\"content-encoding\": \"utf-8\"}", "{\"byteorder\": \"little\"} trailing")) {
            byte[] h = header.getBytes(StandardCharsets.UTF_8);
            try (Socket s = CompatTestSupport.plain(server.appPort())) {
                s.getOutputStream().write(concat(u16(h.length), h, "{}".getBytes()));
                assertClosedSilently(s);
            }
        }
        try (Socket s = CompatTestSupport.plain(server.appPort())) {
            s.getOutputStream().write(request("text/json", "utf-8", "{not json".getBytes()));
            assertClosedSilently(s);
        }
    }
}
