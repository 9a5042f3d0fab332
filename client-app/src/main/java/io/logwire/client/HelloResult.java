package io.logwire.client;

import io.logwire.protocol.compress.CompressionCodec;

import java.util.Set;

/**
 * The answer to HELLO (PROTOCOL.md sections 4 and 6.1): the protocol version spoken on the
 * connection, the largest frame the server accepts, the server's name and version, and (version
 * 2) the bit mask of the compression codecs the server accepts in requests.
 */
public record HelloResult(int protocolVersion, long maxFrameLength, String serverName, int acceptedCodecs) {

    /** A version-1 answer, which announces no codecs. */
    public HelloResult(int protocolVersion, long maxFrameLength, String serverName) {
        this(protocolVersion, maxFrameLength, serverName, 0);
    }

    /** The codecs the server accepts in requests (empty for version 1). */
    public Set<CompressionCodec> serverCodecs() {
        return CompressionCodec.fromMask(acceptedCodecs);
    }
}
