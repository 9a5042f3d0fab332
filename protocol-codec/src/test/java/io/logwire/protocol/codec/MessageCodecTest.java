package io.logwire.protocol.codec;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Message bodies of PROTOCOL.md section 4, outside any pipeline. */
class MessageCodecTest {

    /** {@code n} entries' bytes; entries of username "user-k" are 43 bytes each. */
    private static ByteBuf entries(TrackingAllocator alloc, int n) {
        ByteBuf buf = alloc.buffer();
        for (int k = 0; k < n; k++) {
            LogEntryCodec.encode(new LogEntry("user-" + (k % 10), "10.0.0.1", 80, k, 1, 2, 0.5f, "web"), buf);
        }
        return buf;
    }

    private static byte[] concat(List<Object> buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o : buffers) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ encoding large content

    @Test
    void rowsOverOneKibibyteGoOutAsHeaderPlusTheContentAndMatchTheSingleBufferEncoding() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf content = entries(alloc, 40);
        assertThat(content.readableBytes()).isGreaterThan(1024);
        Reply.Rows rows = new Reply.Rows(Opcode.QUERY, 8, 40, content);
        List<Object> out = new ArrayList<>();
        ByteBuf single = MessageCodec.encode(rows, alloc);
        try {
            MessageCodec.encode(rows, alloc, out);
            assertThat(out).hasSize(2);
            ByteBuf header = (ByteBuf) out.get(0);
            assertThat(Hex.of(header)).isEqualTo(String.format("%08x", 6 + 4 + content.readableBytes())
                    + "4002" + "00000008" + "00000028");
            assertThat(Hex.of(concat(out))).isEqualTo(Hex.of(single));
            assertThat(content.refCnt()).as("the second buffer shares the content").isEqualTo(2);
            assertThat(content.readerIndex()).as("encoding does not consume the content").isZero();
        } finally {
            out.forEach(ReferenceCountUtil::release);
            single.release();
        }
        assertThat(content.refCnt()).as("encode does not release the message").isEqualTo(1);
        rows.release();
        alloc.assertAllReleased();
    }

    @ParameterizedTest(name = "{0} content bytes -> {1} buffer(s)")
    @CsvSource({"0, 1", "1, 1", "1024, 1", "1025, 2", "5000, 2"})
    void echoContentIsCopiedUpToOneKibibyte(int size, int buffers) {
        TrackingAllocator alloc = new TrackingAllocator();
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) i;
        }
        Reply.EchoOk echo = new Reply.EchoOk(3, alloc.copyOf(data));
        List<Object> out = new ArrayList<>();
        ByteBuf single = MessageCodec.encode(echo, alloc);
        try {
            MessageCodec.encode(echo, alloc, out);
            assertThat(out).hasSize(buffers);
            String expected = String.format("%08x", 6 + size) + "8003" + "00000003" + Hex.of(data);
            assertThat(Hex.of(concat(out))).isEqualTo(expected);
            assertThat(Hex.of(single)).isEqualTo(expected);
        } finally {
            out.forEach(ReferenceCountUtil::release);
            single.release();
            echo.release();
        }
        alloc.assertAllReleased();
    }

    @Test
    void onlyTheReadableContentIsEncoded() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf all = entries(alloc, 3);
        int first = LogEntryCodec.entryLength(all, 0);
        ByteBuf lastTwo = all.slice(first, all.readableBytes() - first);
        Request.Upload upload = new Request.Upload(9, 2, lastTwo);
        ByteBuf wire = MessageCodec.encode(upload, alloc);
        try {
            assertThat(Hex.of(wire)).isEqualTo(String.format("%08x", 6 + 4 + lastTwo.readableBytes()) + "0001"
                    + "00000009" + "00000002" + Hex.of(lastTwo));
        } finally {
            wire.release();
            all.release();
        }
        alloc.assertAllReleased();
    }

    @Test
    void messageEncoderSendsALargeUploadWithoutCopyingAndReleasesIt() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf content = entries(alloc, 100);
        Request.Upload upload = new Request.Upload(5, 100, content);
        ByteBuf expected = MessageCodec.encode(upload, alloc);
        EmbeddedChannel ch = new EmbeddedChannel(MessageEncoder.INSTANCE);
        ch.config().setAllocator(alloc);
        ch.writeOutbound(upload);
        assertThat(ch.outboundMessages()).hasSize(2);
        assertThat(Hex.of(Pipelines.drainOutbound(ch))).isEqualTo(Hex.of(expected));
        expected.release();
        assertThat(ch.finish()).isFalse();
        assertThat(content.refCnt()).as("the encoder releases what it wrote").isZero();
        alloc.assertAllReleased();
    }

    @Test
    void encodedLargeRowsDecodeBackThroughTheClientPipeline() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf content = entries(alloc, 50);
        Reply.Rows rows = new Reply.Rows(Opcode.SEARCH, 77, 50, content);
        List<Object> out = new ArrayList<>();
        MessageCodec.encode(rows, alloc, out);
        byte[] wire = concat(out);
        out.forEach(ReferenceCountUtil::release);
        EmbeddedChannel ch = Pipelines.replies(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null);
        ch.writeInbound(alloc.copyOf(wire));
        Reply.Rows decoded = ch.readInbound();
        try {
            assertThat(decoded).isEqualTo(rows); // ByteBuf equality is content equality
            assertThat(LogEntryCodec.decodeBatch(decoded.entries(), 50)).hasSize(50);
        } finally {
            decoded.release();
            rows.release();
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    private static List<Message> messagesWithAnUnpairedSurrogate() {
        return List.of(new Request.Query(1, 0, "username=\uD800"), new Request.Search(1, 0, "\uDC00x"),
                new Request.Hello(1, 1, 0, "cli\uD83D"), new Reply.Error(1, ErrorCode.INTERNAL, "oops \uDFFF"),
                new Reply.StatsOk(1, "{\"a\":\"\uD800\"}"), new Reply.HelloOk(1, 1, 1024, 0, "\uDBFFsrv"));
    }

    @Test
    void textFieldsWithAnUnpairedSurrogateAreRefused() {
        TrackingAllocator alloc = new TrackingAllocator();
        for (Message m : messagesWithAnUnpairedSurrogate()) {
            assertThatThrownBy(() -> MessageCodec.encode(m, alloc)).as("%s", m)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("surrogate");
        }
        alloc.unreleased().forEach(ByteBuf::release); // see the next test
    }

    /**
     * A refused message must not leak the buffer allocated for it. MessageCodec.encodeSimple
     * allocates the frame buffer first and then writes the text, whose unpaired surrogate
     * throws; nothing releases the buffer on that path.
     */
    @Test
    void aRefusedMessageLeaksNoBuffer() {
        for (Message m : messagesWithAnUnpairedSurrogate()) {
            TrackingAllocator alloc = new TrackingAllocator();
            EmbeddedChannel ch = new EmbeddedChannel(MessageEncoder.INSTANCE);
            ch.config().setAllocator(alloc);
            assertThatThrownBy(() -> ch.writeOutbound(m)).as("%s", m.getClass().getSimpleName())
                    .hasRootCauseInstanceOf(IllegalArgumentException.class);
            assertThat(ch.finish()).isFalse();
            assertThat(alloc.unreleased()).as("buffers left allocated after refusing a %s", m.getClass().getSimpleName())
                    .isEmpty();
        }
    }

    // ------------------------------------------------------------------ request decoding

    @Test
    void streamZeroIsCheckedBeforeTheOpcode() {
        ByteBuf body = new TrackingAllocator().buffer(0);
        try {
            assertThatThrownBy(() -> MessageCodec.decodeRequest(0x0042, 0, body))
                    .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
                        assertThat(e.streamId()).isZero();
                        assertThat(e.isFatal()).isFalse();
                    });
        } finally {
            body.release();
        }
    }

    @ParameterizedTest(name = "opcode 0x{0}")
    @ValueSource(strings = {"0000", "000f", "0042", "3fff", "8001", "4002", "ffff", "fffe", "7ffe"})
    void opcodesThatAreNotRequestsAreUnknown(String hex) {
        int opcode = Integer.parseInt(hex, 16);
        ByteBuf body = new TrackingAllocator().buffer(0);
        try {
            assertThatThrownBy(() -> MessageCodec.decodeRequest(opcode, 21, body))
                    .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
                        assertThat(e.streamId()).isEqualTo(21);
                        assertThat(e.getMessage()).contains("0x" + hex);
                    });
        } finally {
            body.release();
        }
    }

    @Test
    void decodingDoesNotConsumeTheBody() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf body = alloc.copyOf(Hex.bytes("00000064" + "706f72743c3d343433"));
        Request r = MessageCodec.decodeRequest(0x0002, 9, body);
        assertThat(r).isEqualTo(new Request.Query(9, 100, "port<=443"));
        assertThat(body.readerIndex()).isZero();
        body.release();
        alloc.assertAllReleased();
    }

    @Test
    void statsWithABodyIsInvalid() {
        ByteBuf body = new TrackingAllocator().copyOf(new byte[] {0});
        try {
            assertThatThrownBy(() -> MessageCodec.decodeRequest(0x0007, 4, body))
                    .isInstanceOfSatisfying(ProtocolCodecException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST));
        } finally {
            body.release();
        }
    }

    @ParameterizedTest(name = "HELLO body {0}")
    @ValueSource(strings = {"", "00", "0002", "000200", "0001ff", "0002000361ff"})
    void malformedHellosAreInvalidRequests(String hex) {
        ByteBuf body = new TrackingAllocator().copyOf(Hex.bytes(hex));
        try {
            assertThatThrownBy(() -> MessageCodec.decodeRequest(0x0008, 4, body))
                    .isInstanceOfSatisfying(ProtocolCodecException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST));
        } finally {
            body.release();
        }
    }

    /**
     * Section 4: the UPLOAD error names {@code entry N}, the zero-based index of the first
     * entry that could not be decoded (N = count for bytes left over; none for a body too
     * short for the count).
     */
    @ParameterizedTest(name = "{0} names entry {1}")
    @CsvSource({
            "upload-count-exceeds-entries, 1",
            "upload-trailing-byte, 1",
            "upload-truncated-fixed-fields, 0",
            "upload-string-length-past-end, 0",
            "upload-invalid-utf8, 0",
            "upload-overlong-utf8, 0",
            "upload-lone-surrogate, 0",
            "upload-nan-score, 0",
            "upload-infinite-score, 0",
            "upload-second-entry-bad, 1",
            "upload-body-too-short-for-count, -1"})
    void uploadErrorsNameTheFirstBadEntry(String vector, int entry) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = Pipelines.requests(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null);
        byte[] bytes = Vectors.bytes(Vectors.named(Vectors.v1().get("invalidRequests"), vector));
        assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(bytes)))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    if (entry >= 0) {
                        assertThat(e.getMessage()).containsPattern("\\bentry " + entry + "\\b");
                    } else {
                        assertThat(e.getMessage()).doesNotContainPattern("\\bentry \\d");
                    }
                });
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    // ------------------------------------------------------------------ reply decoding

    /**
     * Section 4 defines reply opcodes {@code 0x4000|op}, {@code 0x8000|op} and {@code 0xFFFF};
     * {@code 0xC000|op} is none of them. MessageCodec.decodeReply tests only whether the
     * partial bit pattern is exactly 0x4000 and otherwise treats any opcode with a high bit
     * set as a final reply, so 0xC001..0xC008 decode as UPLOAD_OK, QUERY_DONE and so on
     * (whose {@code wireOpcode()} then differs from the frame's).
     */
    @Test
    void replyOpcodesWithBothHighBitsAreMalformed() {
        // opcode 0xC000|op with a body that would be valid for 0x8000|op
        String[][] cases = {{"c001", "000000020000000000000000"}, {"c002", "0000000000000001"}, {"c003", "6869"},
                {"c004", "0000000000000001"}, {"c005", "00000002"}, {"c006", "00000002"}, {"c007", "7b7d"},
                {"c008", "0001010000006c77"}};
        TrackingAllocator alloc = new TrackingAllocator();
        List<String> accepted = new ArrayList<>();
        for (String[] c : cases) {
            int op = Integer.parseInt(c[0], 16);
            ByteBuf buf = alloc.copyOf(Hex.bytes(c[1]));
            try {
                Reply r = MessageCodec.decodeReply(op, 5, buf);
                accepted.add(String.format("0x%04x as %s (wire opcode 0x%04x)", op, r.getClass().getSimpleName(),
                        r.wireOpcode()));
                ReferenceCountUtil.release(r);
            } catch (ProtocolCodecException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            } finally {
                buf.release();
            }
        }
        assertThat(accepted).as("reply opcodes that are neither partial, final nor ERROR, yet decoded").isEmpty();
        alloc.assertAllReleased();
    }

    @ParameterizedTest(name = "reply 0x{0} body {1}")
    @CsvSource({
            "8001, 00000002000000000000000000",   // UPLOAD_OK is exactly 12 bytes
            "8001, 0000000200000000000000",       // ... not 11
            "8001, 000000028000000000000000",     // firstSequence above the u64 range a long holds
            "8002, 00000000000000",               // QUERY_DONE is exactly 8 bytes
            "8005, 000000",                       // DOUBLE_OK needs an i32
            "8007, ff",                           // STATS_OK text is UTF-8
            "8008, 00010100",                     // HELLO_OK v1 needs 6 bytes before the name
            "8008, 00020100000000",               // HELLO_OK v2 needs 8
            "4001, 00000000",                     // UPLOAD has no partial reply
            "4002, 00000001",                     // ROWS count 1, no entry
            "4002, 000000",                       // ROWS without a count
            "ffff, 00",                           // ERROR needs a u16 code
            "ffff, 0005c0af",                     // ERROR message is UTF-8
            "8000, ''",                           // no request 0
            "fffe, 0009000000",                   // ERROR_RETRY needs a u16 code and a u32 hint
            "fffe, 0009000000fac0",               // ERROR_RETRY message is UTF-8
            "8009, 000000020000000000000000",     // UPLOAD_ONCE_OK is exactly 13 bytes
            "8009, 00000002000000000000000002",   // ... and its duplicate flag is 0 or 1
            "400a, 00000001000000000000000000",   // SEQ_ROWS count 1, a sequence, no entry
            "400a, 0000000100000000000000010000", // SEQ_ROWS: a truncated entry
            "800a, 0000000000000001",             // QUERY_FROM_DONE is exactly 16 bytes
            "800c, 00",                           // CANCEL_OK is empty
            "4009, 00000000",                     // UPLOAD_ONCE has no partial reply
            "400d, 00000000",                     // nor AGGREGATE
            "7ffe, 01"})                          // COMPRESSED is not a reply
    void malformedRepliesAreRefused(String opcode, String body) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.copyOf(Hex.bytes(body));
        try {
            assertThatThrownBy(() -> MessageCodec.decodeReply(Integer.parseInt(opcode, 16), 5, buf))
                    .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.streamId()).isEqualTo(5);
                    });
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }

    @Test
    void anErrorCodeNewerThanTheClientIsKeptRaw() {
        ByteBuf body = new TrackingAllocator().copyOf(Hex.bytes("03e7" + "6e6577"));
        try {
            Reply r = MessageCodec.decodeReply(0xFFFF, 4, body);
            assertThat(r).isEqualTo(new Reply.Error(4, 999, "new"));
            assertThat(((Reply.Error) r).errorCode()).isNull();
        } finally {
            body.release();
        }
    }

    @Test
    void partialAndFinalRepliesSayWhichTheyAre() {
        TrackingAllocator alloc = new TrackingAllocator();
        Reply.Rows rows = new Reply.Rows(Opcode.QUERY, 1, 0, alloc.buffer(0));
        assertThat(rows.isFinal()).isFalse();
        assertThat(rows.wireOpcode()).isEqualTo(0x4002);
        assertThat(new Reply.ScanDone(Opcode.SEARCH, 1, 0).isFinal()).isTrue();
        assertThat(new Reply.Error(1, ErrorCode.OVERFLOW, "x").isFinal()).isTrue();
        rows.release();
        assertThatThrownBy(() -> new Reply.Rows(Opcode.ECHO, 1, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Reply.ScanDone(Opcode.QUERY, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Request.Query(1, 0x1_0000_0000L, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Request.Hello(1, 0x10000, 0, "")).isInstanceOf(IllegalArgumentException.class);
        alloc.assertAllReleased();
    }
}
