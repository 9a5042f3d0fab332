package io.logwire.server.compat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.RateLimitedLog;
import io.logwire.server.ServerInitializer;
import io.logwire.server.ServerStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The JSON-header application protocol (PROTOCOL.md Appendix A.2) in front of the SEARCH,
 * DOUBLE, NEGATE and ECHO handlers. One request per connection, closed after the reply:
 *
 * <pre>
 * u16 headerLength
 * headerLength bytes: UTF-8 JSON {"byteorder", "content-type", "content-encoding", "content-length"}
 * content-length bytes of content
 * </pre>
 *
 * <ul>
 * <li>{@code text/json} {@code {"action": "search", "value": V}}: SEARCH V with no limit; the
 *     reply text gives the number of entries it returned (rows are counted, not kept).</li>
 * <li>binary, exactly 10 bytes, {@code double}/{@code negate} then a big-endian i32: DOUBLE or
 *     NEGATE; reply {@code result} + i32, or the JSON overflow text.</li>
 * <li>other binary: ECHO of its first 10 bytes, sent back after {@code First 10 bytes of request: }.</li>
 * </ul>
 *
 * <p>JSON is written as the tutorial's server writes it: Python's {@code json.dumps} layout
 * ({@code ", "} and {@code ": "} separators) with {@code ensure_ascii=False}, that is non-ASCII
 * characters as UTF-8, not {@code \\uXXXX}. A header that is not a JSON object with the four
 * keys, content longer than the maximum frame length, or text/json content that is not a JSON
 * object in its declared encoding closes the connection without a reply.
 *
 * <p>One instance per channel; all state is confined to the channel's event loop.
 */
final class AppServerCodec extends ChannelDuplexHandler {
    static final String JSON_TYPE = "text/json";
    static final String BINARY_TYPE = "binary/custom-server-binary-type";
    static final String BINARY_ENCODING = "binary";
    static final byte[] FIRST_10_PREFIX = "First 10 bytes of request: ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] RESULT = "result".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DOUBLE = "double".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEGATE = "negate".getBytes(StandardCharsets.US_ASCII);
    private static final String[] HEADER_KEYS = {"byteorder", "content-type", "content-encoding", "content-length"};
    private static final String BYTEORDER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "little" : "big";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Logger log = LoggerFactory.getLogger(AppServerCodec.class);
    private static final RateLimitedLog faults = new RateLimitedLog(log, 10);

    private final ServerStats stats;
    private final int maxContentLength;

    private ChannelHandlerContext ctx;
    private ByteBuf cumulation;
    private JsonNode header;
    private boolean received;
    private boolean closing;
    private int stream;
    /** The search term of the running SEARCH, for the reply text. */
    private String searchValue;

    AppServerCodec(ServerStats stats, int maxContentLength) {
        this.stats = stats;
        this.maxContentLength = maxContentLength;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (received || closing) {
            in.release(); // one request per connection: anything after it is ignored
            return;
        }
        cumulation = cumulation == null ? in
                : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        decode();
    }

    private void decode() {
        ByteBuf in = cumulation;
        int r = in.readerIndex();
        if (in.readableBytes() < 2) {
            return;
        }
        int headerLength = in.getUnsignedShort(r);
        if (in.readableBytes() < 2 + headerLength) {
            return;
        }
        if (header == null) {
            header = parseHeader(in, r + 2, headerLength);
            if (header == null) {
                return;
            }
        }
        long contentLength = header.get("content-length").asLong();
        if (in.readableBytes() - 2 - headerLength < contentLength) {
            return;
        }
        byte[] content = new byte[(int) contentLength];
        in.getBytes(r + 2 + headerLength, content);
        received = true;
        cumulation.release();
        cumulation = null;
        ServerInitializer.messageReceived(stats);
        if (JSON_TYPE.equals(header.get("content-type").asText())) {
            jsonRequest(content, header.get("content-encoding").asText());
        } else {
            binaryRequest(content);
        }
    }

    /** The header, or null (and the connection closing) if it is not what Appendix A.2 requires. */
    private JsonNode parseHeader(ByteBuf in, int offset, int length) {
        JsonNode h;
        try {
            byte[] bytes = new byte[length];
            in.getBytes(offset, bytes);
            h = JSON.readTree(strictDecode(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            fail("header is not UTF-8 JSON: %s", firstLine(e));
            return null;
        }
        if (h == null || !h.isObject()) {
            fail("header is not a JSON object");
            return null;
        }
        for (String key : HEADER_KEYS) {
            if (!h.has(key)) {
                fail("header lacks \"%s\"", key);
                return null;
            }
        }
        JsonNode contentLength = h.get("content-length");
        if (!contentLength.isIntegralNumber() || !contentLength.canConvertToLong() || contentLength.asLong() < 0
                || contentLength.asLong() > maxContentLength) {
            fail("content-length %s is not an integer in 0..%d", contentLength, maxContentLength);
            return null;
        }
        return h;
    }

    private void jsonRequest(byte[] content, String encoding) {
        JsonNode request;
        try {
            request = JSON.readTree(strictDecode(content, Charset.forName(encoding)));
        } catch (IOException | IllegalArgumentException e) {
            fail("text/json content is not JSON in %s: %s", encoding, firstLine(e));
            return;
        }
        if (request == null || !request.isObject()) {
            fail("text/json content is not a JSON object");
            return;
        }
        JsonNode action = request.get("action");
        if (action != null && action.isTextual() && action.asText().equals("search")) {
            searchValue = pythonStr(request.get("value"));
            ctx.fireChannelRead(new Request.Search(stream = CompatServerInitializer.next(stream), 0, searchValue));
            return;
        }
        replyJson("Error: invalid action \"" + pythonStr(action) + "\".");
    }

    private void binaryRequest(byte[] content) {
        if (content.length == 10) {
            byte[] word = Arrays.copyOf(content, 6);
            int value = (content[6] & 0xFF) << 24 | (content[7] & 0xFF) << 16 | (content[8] & 0xFF) << 8
                    | (content[9] & 0xFF);
            if (Arrays.equals(word, DOUBLE)) {
                ctx.fireChannelRead(new Request.DoubleValue(stream = CompatServerInitializer.next(stream), value));
                return;
            }
            if (Arrays.equals(word, NEGATE)) {
                ctx.fireChannelRead(new Request.NegateValue(stream = CompatServerInitializer.next(stream), value));
                return;
            }
        }
        ByteBuf first10 = Unpooled.wrappedBuffer(content, 0, Math.min(10, content.length));
        ctx.fireChannelRead(new Request.Echo(stream = CompatServerInitializer.next(stream), first10));
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Reply reply)) {
            ctx.write(msg, promise);
            return;
        }
        promise.trySuccess();
        if (closing) {
            ReferenceCountUtil.release(reply);
        } else if (reply instanceof Reply.Rows rows) {
            rows.release(); // only their number matters; ScanDone has it
        } else if (reply instanceof Reply.ScanDone done) {
            long n = done.totalRows();
            replyJson(n == 0 ? "No match for \"" + searchValue + "\"."
                    : n + " entries match \"" + searchValue + "\".");
        } else if (reply instanceof Reply.DoubleOk d) {
            replyResult(d.value());
        } else if (reply instanceof Reply.NegateOk n) {
            replyResult(n.value());
        } else if (reply instanceof Reply.EchoOk e) {
            ByteBuf content = ctx.alloc().buffer(FIRST_10_PREFIX.length + e.data().readableBytes());
            content.writeBytes(FIRST_10_PREFIX).writeBytes(e.data());
            e.release();
            replyBinary(content);
        } else if (reply instanceof Reply.Error e && e.errorCode() == ErrorCode.OVERFLOW) {
            replyJson("Error: integer overflow");
        } else {
            if (reply instanceof Reply.Error e) {
                faults.warn("{}: application protocol: {}; closing the connection", ctx.channel().remoteAddress(),
                        e.message());
            } else {
                log.error("bug: unexpected reply {} on an application-protocol connection", reply);
            }
            ReferenceCountUtil.release(reply);
            closeAfterFlush();
        }
    }

    private void replyResult(int value) {
        ByteBuf content = ctx.alloc().buffer(10).writeBytes(RESULT).writeInt(value);
        replyBinary(content);
    }

    private void replyBinary(ByteBuf content) {
        send(BINARY_TYPE, BINARY_ENCODING, content);
    }

    private void replyJson(String result) {
        byte[] bytes = ("{" + PythonJson.string("result") + ": " + PythonJson.string(result) + "}")
                .getBytes(StandardCharsets.UTF_8);
        send(JSON_TYPE, "utf-8", Unpooled.wrappedBuffer(bytes));
    }

    /** Writes header and content in the tutorial's layout, then closes. Takes {@code content}. */
    private void send(String type, String encoding, ByteBuf content) {
        String h = "{" + PythonJson.string("byteorder") + ": " + PythonJson.string(BYTEORDER) + ", "
                + PythonJson.string("content-type") + ": " + PythonJson.string(type) + ", "
                + PythonJson.string("content-encoding") + ": " + PythonJson.string(encoding) + ", "
                + PythonJson.string("content-length") + ": " + content.readableBytes() + "}";
        byte[] headerBytes = h.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = ctx.alloc().buffer(2 + headerBytes.length + content.readableBytes());
        out.writeShort(headerBytes.length).writeBytes(headerBytes).writeBytes(content);
        content.release();
        closing = true;
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    private void fail(String format, Object... args) {
        faults.warn("{}: application protocol: {}; closing the connection", ctx.channel().remoteAddress(),
                String.format(format, args));
        closeAfterFlush();
    }

    private void closeAfterFlush() {
        closing = true;
        release();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !received && !closing) {
            fail("connection half-closed before a whole request arrived");
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    private static String firstLine(Exception e) {
        String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("");
    }

    /** Decodes {@code bytes}, refusing malformed input instead of replacing it. */
    private static String strictDecode(byte[] bytes, Charset charset) throws CharacterCodingException {
        return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    }

    /** A JSON value as the tutorial's server would interpolate it: Python's {@code str()}. */
    static String pythonStr(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "None";
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean()) {
            return v.asBoolean() ? "True" : "False";
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    /** JSON text in the layout of Python's {@code json.dumps(..., ensure_ascii=False)}. */
    static final class PythonJson {
        private PythonJson() {
        }

        /** A quoted JSON string: {@code "}, {@code \} and control characters escaped, the rest as is. */
        static String string(String s) {
            try {
                return JSON.writeValueAsString(s);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
