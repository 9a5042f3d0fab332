package io.logwire.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every opcode and every spec vector against a real server over TLS on port 0. */
class ServerEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode VECTORS = loadVectors();

    @TempDir
    Path dataDir;
    LogwireServer server;
    TestClient client;

    static JsonNode loadVectors() {
        try (InputStream in = ServerEndToEndTest.class.getResourceAsStream("/vectors.json")) {
            return JSON.readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException("vectors.json (from the protocol-codec test jar) is missing", e);
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start(dataDir, b -> { });
        client = TestClient.connect(server.port(), server.tls().certificate());
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        server.stop();
    }

    static List<LogEntry> vectorEntries() {
        List<LogEntry> out = new ArrayList<>();
        for (JsonNode e : VECTORS.get("entries")) {
            out.add(LogEntryCodec.decode(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(e.get("hex").asText()))));
        }
        return out;
    }

    static Request.Upload upload(int stream, List<LogEntry> entries) {
        ByteBuf buf = Unpooled.buffer();
        LogEntryCodec.encodeAll(entries, buf);
        return new Request.Upload(stream, entries.size(), buf);
    }

    /** Sends a query and collects its rows until the final frame; asserts totalRows. */
    static List<LogEntry> query(TestClient c, int stream, Request request) throws Exception {
        c.send(request);
        List<LogEntry> rows = new ArrayList<>();
        while (true) {
            Reply r = c.next();
            assertThat(r.streamId()).isEqualTo(stream);
            if (r instanceof Reply.Rows rr) {
                rows.addAll(LogEntryCodec.decodeBatch(rr.entries(), rr.count()));
                rr.release();
            } else {
                assertThat(r).isInstanceOf(Reply.ScanDone.class);
                assertThat(((Reply.ScanDone) r).totalRows()).isEqualTo(rows.size());
                return rows;
            }
        }
    }

    @Test
    void helloAnnouncesVersionAndFrameLimit() throws Exception {
        client.sendHex("0000001700080000000100016c6f67776972652d636c692f312e30");
        Reply.HelloOk ok = (Reply.HelloOk) client.next();
        assertThat(ok.streamId()).isEqualTo(1);
        assertThat(ok.protocolVersion()).isEqualTo(1);
        assertThat(ok.maxFrameLength()).isEqualTo(FrameConstants.DEFAULT_MAX_FRAME_LENGTH);
        assertThat(ok.serverName()).startsWith("logwire/");
    }

    @Test
    void uploadAssignsContiguousSequencesAndCountZeroIsValid() throws Exception {
        List<LogEntry> entries = vectorEntries();
        client.send(upload(7, entries.subList(0, 2)));
        assertThat(client.next()).isEqualTo(new Reply.UploadOk(7, 2, 0));
        client.send(upload(8, entries));
        assertThat(client.next()).isEqualTo(new Reply.UploadOk(8, 5, 2));
        client.sendHex("0000000a00010000000100000000"); // upload-empty
        assertThat(client.next()).isEqualTo(new Reply.UploadOk(1, 0, 7));
        assertThat(query(client, 3, new Request.Query(3, 0, ""))).hasSize(7);
    }

    @TestFactory
    Stream<DynamicTest> everyFilterVectorMatchesExactlyItsEntries() throws Exception {
        List<LogEntry> entries = vectorEntries();
        client.send(upload(1, entries));
        assertThat(client.next()).isInstanceOf(Reply.UploadOk.class);
        List<DynamicTest> tests = new ArrayList<>();
        int stream = 10;
        for (JsonNode c : VECTORS.get("filters").get("cases")) {
            String filter = c.get("filter").asText();
            List<LogEntry> expected = new ArrayList<>();
            c.get("matches").forEach(i -> expected.add(entries.get(i.asInt())));
            int s = stream++;
            List<LogEntry> got = query(client, s, new Request.Query(s, 0, filter));
            tests.add(DynamicTest.dynamicTest("query '" + filter + "'", () -> assertThat(got).isEqualTo(expected)));
        }
        for (JsonNode c : VECTORS.get("filters").get("invalid")) {
            String filter = c.get("filter").asText();
            int s = stream++;
            client.send(new Request.Query(s, 0, filter));
            Reply r = client.next();
            tests.add(DynamicTest.dynamicTest("invalid '" + filter + "'",
                    () -> assertThat(r).isInstanceOfSatisfying(Reply.Error.class, e -> {
                        assertThat(e.streamId()).isEqualTo(s);
                        assertThat(e.code()).isEqualTo(c.get("expectError").asInt());
                    })));
        }
        return tests.stream();
    }

    @Test
    void queryVectorsAndLimit() throws Exception {
        client.send(upload(1, vectorEntries()));
        client.next();
        // the 'query' vector: score>4.0, username=Amy Brown on stream 8
        client.sendHex("000000270002000000080000000073636f72653e342e302c20757365726e616d653d416d792042726f776e");
        Reply rows = client.next();
        assertThat(hex(rows)).isEqualTo(vector("frames", "query-rows"));
        assertThat(client.next()).isEqualTo(new Reply.ScanDone(Opcode.QUERY, 8, 1));
        assertThat(query(client, 9, new Request.Query(9, 2, ""))).hasSize(2);
    }

    @Test
    void searchIsCaseInsensitiveOverNamesAddressesAndServers() throws Exception {
        List<LogEntry> entries = vectorEntries();
        client.send(upload(1, entries));
        client.next();
        assertThat(query(client, 14, new Request.Search(14, 10, "AMY"))).containsExactly(entries.get(1));
        assertThat(query(client, 15, new Request.Search(15, 0, "LOCALHOST"))).containsExactly(entries.get(2));
        assertThat(query(client, 16, new Request.Search(16, 0, "zoë"))).containsExactly(entries.get(2));
        assertThat(query(client, 17, new Request.Search(17, 0, ""))).hasSize(5);
        assertThat(query(client, 18, new Request.Search(18, 0, "10.0.0"))).containsExactly(entries.get(0), entries.get(4));
    }

    @Test
    void echoDoubleNegateAndOverflow() throws Exception {
        client.sendHex("0000001200030000000b48656c6c6f2c20776f726c64");
        assertThat(hex(client.next())).isEqualTo(vector("frames", "echo-ok"));
        client.sendHex("0000000a00050000000f0074cbb1");
        assertThat(hex(client.next())).isEqualTo(vector("frames", "double-ok"));
        client.sendHex("0000000a000600000010fffffed4");
        assertThat(hex(client.next())).isEqualTo(vector("frames", "negate-ok"));
        client.send(new Request.DoubleValue(18, Integer.MAX_VALUE));
        assertThat(hex(client.next())).isEqualTo(vector("frames", "error-overflow"));
        client.send(new Request.NegateValue(19, Integer.MIN_VALUE));
        assertThat(((Reply.Error) client.next()).errorCode()).isEqualTo(ErrorCode.OVERFLOW);
        client.sendHex("0000000600030000000c"); // echo-empty
        assertThat(client.next()).isEqualTo(new Reply.EchoOk(12, Unpooled.EMPTY_BUFFER));
    }

    @Test
    void statsHasEveryMemberTheSpecRequires() throws Exception {
        client.send(upload(1, vectorEntries()));
        client.next();
        client.sendHex("00000006000700000011");
        Reply.StatsOk stats = (Reply.StatsOk) client.next();
        JsonNode o = JSON.readTree(stats.json());
        for (String member : List.of("messagesReceived", "entriesStored", "connectionsOpen", "connectionsAccepted",
                "bytesReceived", "bytesSent", "uptimeMillis", "protocolVersion")) {
            assertThat(o.get(member).isIntegralNumber()).as(member).isTrue();
        }
        assertThat(o.get("serverVersion").isTextual()).isTrue();
        assertThat(o.get("messagesReceived").asLong()).isEqualTo(2);
        assertThat(o.get("entriesStored").asLong()).isEqualTo(5);
        assertThat(o.get("connectionsOpen").asLong()).isEqualTo(1);
        assertThat(o.get("protocolVersion").asInt()).isEqualTo(2); // the highest version spoken (PROTOCOL.md 6)
        // the UPLOAD frame (10-byte prefix, u32 count, entries) and the STATS frame (10 bytes)
        assertThat(o.get("bytesReceived").asLong()).isEqualTo(10 + 4 + encodedSize() + 10);
        assertThat(o.get("store").get("newestSequence").asLong()).isEqualTo(4);
        client.sendHex("0000000700070000001100"); // STATS with a body
        assertThat(((Reply.Error) client.next()).errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    private static int encodedSize() {
        return vectorEntries().stream().mapToInt(LogEntryCodec::encodedSize).sum();
    }

    @TestFactory
    Stream<DynamicTest> everyInvalidRequestGetsItsErrorAndOnlyFatalOnesClose() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : VECTORS.get("invalidRequests")) {
            tests.add(DynamicTest.dynamicTest(v.get("name").asText(), () -> {
                try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
                    c.sendHex(v.get("hex").asText());
                    Reply.Error e = (Reply.Error) c.next();
                    assertThat(e.code()).isEqualTo(v.get("expectError").asInt());
                    assertThat(e.streamId()).isEqualTo(v.get("streamId").asInt());
                    assertThat(e.message()).isNotEmpty();
                    if (v.get("fatal").asBoolean()) {
                        assertThat(c.awaitClosed(5000)).as("closed after a fatal error").isTrue();
                    } else {
                        c.send(new Request.Echo(99, Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
                        assertThat(c.next()).isEqualTo(new Reply.EchoOk(99, Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
                    }
                }
            }));
        }
        // The bad upload vectors stored nothing.
        tests.add(DynamicTest.dynamicTest("nothing of a bad batch is stored", () -> {
            assertThat(server.store().nextSequence()).isZero();
        }));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> fatalFramesAreAnsweredOnStreamZeroAndClose() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : VECTORS.get("fatalFrames")) {
            tests.add(DynamicTest.dynamicTest(v.get("name").asText(), () -> {
                try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
                    c.sendHex(v.get("hex").asText());
                    Reply.Error e = (Reply.Error) c.next();
                    assertThat(e.code()).isEqualTo(v.get("expectError").asInt());
                    assertThat(e.streamId()).isZero();
                    assertThat(c.awaitClosed(5000)).isTrue();
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void pipelinedRequestsWithInterleavedStreamIdsAreAllAnswered() throws Exception {
        // ~100 queries are pipelined on one connection: more than --max-queries-per-connection's
        // default of 8 may be running at once on a slow machine, and those would (by design) be
        // answered OVERLOADED (AbuseLimitsTest covers that). This test is about interleaving.
        client.close();
        server.stop();
        server = TestServers.start(dataDir, b -> b.maxQueriesPerConnection(1000).maxQueries(1000));
        client = TestClient.connect(server.port(), server.tls().certificate());
        client.send(upload(1, vectorEntries()));
        client.next();
        Random random = new Random(42);
        ByteBuf all = Unpooled.buffer();
        Map<Integer, Integer> expectedDoubles = new HashMap<>();
        List<Integer> queryStreams = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            int stream = 1000 + random.nextInt(1 << 20) * 2 + 1;
            if (expectedDoubles.containsKey(stream) || queryStreams.contains(stream)) {
                continue;
            }
            if (i % 5 == 0) {
                queryStreams.add(stream);
                all.writeBytes(bytes(new Request.Query(stream, 0, "port<=443")));
            } else {
                int value = random.nextInt(1 << 20);
                expectedDoubles.put(stream, value * 2);
                all.writeBytes(bytes(new Request.DoubleValue(stream, value)));
            }
        }
        client.sendBytes(ByteBufUtil.getBytes(all));
        Map<Integer, Integer> rowsByStream = new HashMap<>();
        int finals = 0;
        while (finals < expectedDoubles.size() + queryStreams.size()) {
            Reply r = client.next();
            if (r instanceof Reply.DoubleOk d) {
                assertThat(d.value()).isEqualTo(expectedDoubles.get(d.streamId()));
                finals++;
            } else if (r instanceof Reply.Rows rows) {
                rowsByStream.merge(rows.streamId(), rows.count(), Integer::sum);
            } else {
                Reply.ScanDone done = (Reply.ScanDone) r;
                assertThat(queryStreams).contains(done.streamId());
                assertThat(done.totalRows()).isEqualTo(3);
                assertThat(rowsByStream.get(done.streamId())).isEqualTo(3);
                finals++;
            }
        }
        assertThat(client.poll(100)).isNull();
    }

    @Test
    void aFrameSplitIntoOneByteWritesIsDecoded() throws Exception {
        byte[] frame = ByteBufUtil.decodeHexDump(vector("frames", "upload-all-entries"));
        for (byte b : frame) {
            client.sendBytes(new byte[] {b});
        }
        assertThat(client.next()).isEqualTo(new Reply.UploadOk(2, 5, 0));
    }

    @Test
    void largeResultsAreSplitIntoFramesInSequenceOrder() throws Exception {
        int n = 30_000;
        List<LogEntry> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(new LogEntry("user" + i, "10.0.0." + (i % 256), i % 65536, i, i, i, i % 10, "web-" + (i % 7)));
            if (batch.size() == 1000) {
                client.send(upload(1, batch));
                assertThat(client.next()).isInstanceOf(Reply.UploadOk.class);
                batch.clear();
            }
        }
        client.send(new Request.Query(5, 0, "score>=0"));
        int frames = 0;
        int expected = 0;
        while (true) {
            Reply r = client.next();
            if (r instanceof Reply.Rows rows) {
                frames++;
                for (LogEntry e : LogEntryCodec.decodeBatch(rows.entries(), rows.count())) {
                    assertThat(e.username()).isEqualTo("user" + expected++);
                }
            } else {
                assertThat(((Reply.ScanDone) r).totalRows()).isEqualTo(n);
                break;
            }
        }
        assertThat(expected).isEqualTo(n);
        assertThat(frames).isGreaterThan(1);
    }

    @Test
    void sequencesSurviveARestart() throws Exception {
        client.send(upload(1, vectorEntries()));
        assertThat(client.next()).isEqualTo(new Reply.UploadOk(1, 5, 0));
        client.close();
        client = null;
        server.stop();
        server = TestServers.start(dataDir, b -> { });
        client = TestClient.connect(server.port(), server.tls().certificate());
        client.send(upload(2, vectorEntries().subList(0, 1)));
        assertThat(client.next()).isEqualTo(new Reply.UploadOk(2, 1, 5));
        assertThat(query(client, 3, new Request.Query(3, 0, ""))).hasSize(6);
    }

    private static String hex(Reply r) {
        return ByteBufUtil.hexDump(bytes(r));
    }

    /** The whole frame of {@code m}; releases {@code m}. */
    private static byte[] bytes(io.logwire.protocol.message.Message m) {
        ByteBuf b = io.logwire.protocol.codec.MessageCodec.encode(m, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
            io.netty.util.ReferenceCountUtil.release(m);
        }
    }

    private static String vector(String section, String name) {
        for (JsonNode v : VECTORS.get(section)) {
            if (v.get("name").asText().equals(name)) {
                return v.get("hex").asText();
            }
        }
        throw new IllegalArgumentException(name);
    }
}
