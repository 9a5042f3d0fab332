package io.logwire.client;

/**
 * The answer to HELLO (PROTOCOL.md section 4): the protocol version spoken on the
 * connection, the largest frame the server accepts, and the server's name and version.
 */
public record HelloResult(int protocolVersion, long maxFrameLength, String serverName) {
}
