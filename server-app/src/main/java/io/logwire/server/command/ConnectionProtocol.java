package io.logwire.server.command;

import io.logwire.protocol.compress.CompressingMessageEncoder;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What a connection's HELLO agreed on (PROTOCOL.md 6.1): the protocol version (1 until a
 * HELLO version 2) and the codecs the client accepts in replies. Kept as a channel attribute
 * so that every handler of the connection can read it; set on the event loop by
 * {@link HelloHandler}, read from any thread.
 *
 * <p>Also chooses how errors go out: {@code OVERLOADED} and {@code SHUTTING_DOWN} become
 * {@code ERROR_RETRY} (6.6) on version-2 connections, with a retry hint of
 * {@value #OVERLOADED_BASE_MILLIS}–{@value #OVERLOADED_MAX_MILLIS} ms for OVERLOADED
 * (a fixed backoff with full jitter, so that clients shed together do not come back together)
 * and {@value #SHUTTING_DOWN_MILLIS} ms for SHUTTING_DOWN (reconnect elsewhere: this server is
 * going away; the pause only spreads the reconnections).
 */
public final class ConnectionProtocol {
    private static final AttributeKey<ConnectionProtocol> KEY = AttributeKey.valueOf("logwire.protocol");
    /** A connection without HELLO version 2. */
    private static final ConnectionProtocol VERSION_1 = new ConnectionProtocol(1, 0);
    static final int OVERLOADED_BASE_MILLIS = 100;
    static final int OVERLOADED_MAX_MILLIS = 300;
    static final int SHUTTING_DOWN_MILLIS = 1000;

    private final int version;
    private final int acceptedCodecs;

    private ConnectionProtocol(int version, int acceptedCodecs) {
        this.version = version;
        this.acceptedCodecs = acceptedCodecs;
    }

    /** The agreement of {@code channel} (version 1 and no codecs until a HELLO version 2). */
    public static ConnectionProtocol of(Channel channel) {
        ConnectionProtocol p = channel.attr(KEY).get();
        return p != null ? p : VERSION_1;
    }

    /**
     * Records a HELLO: {@code acceptedCodecs} is the client's mask (version 2; 0 for version 1).
     * If the pipeline compresses replies, starts compressing with the best codec both accept
     * (ZSTD first: replies are large and compress better with it; then LZ4).
     */
    static void agree(Channel channel, int version, int acceptedCodecs, boolean compressReplies) {
        channel.attr(KEY).set(version == 1 ? VERSION_1 : new ConnectionProtocol(version, acceptedCodecs));
        CompressingMessageEncoder encoder = channel.pipeline().get(CompressingMessageEncoder.class);
        if (encoder != null) {
            encoder.codec(compressReplies && version >= 2
                    ? CompressionCodec.choose(acceptedCodecs, CompressionCodec.ZSTD, CompressionCodec.LZ4)
                    : null);
        }
    }

    public int version() {
        return version;
    }

    /** The client's {@code acceptedCodecs} (0 on version 1). */
    public int acceptedCodecs() {
        return acceptedCodecs;
    }

    /** The error frame for {@code code}: ERROR_RETRY with a hint where 6.6 says so, else ERROR. */
    public Reply error(int streamId, ErrorCode code, String message) {
        if (version >= 2 && (code == ErrorCode.OVERLOADED || code == ErrorCode.SHUTTING_DOWN)) {
            return new Reply.ErrorRetry(streamId, code, retryAfterMillis(code), message);
        }
        return new Reply.Error(streamId, code, message);
    }

    /** The retry hint for OVERLOADED or SHUTTING_DOWN (see the class comment). */
    static long retryAfterMillis(ErrorCode code) {
        if (code == ErrorCode.SHUTTING_DOWN) {
            return SHUTTING_DOWN_MILLIS;
        }
        return ThreadLocalRandom.current().nextInt(OVERLOADED_BASE_MILLIS, OVERLOADED_MAX_MILLIS + 1);
    }
}
