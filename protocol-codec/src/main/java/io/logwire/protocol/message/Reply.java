package io.logwire.protocol.message;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/** The replies of PROTOCOL.md section 4, one record per reply layout. */
public sealed interface Reply extends Message {
    /** Whether this is the last frame for its stream (a final reply or an error). */
    default boolean isFinal() {
        return true;
    }

    /** UPLOAD_OK: how many entries were stored and the sequence of the first. */
    record UploadOk(int streamId, long stored, long firstSequence) implements Reply {
        public UploadOk {
            Wire.checkU32("stored", stored);
            if (firstSequence < 0) {
                throw new IllegalArgumentException("firstSequence must be >= 0: " + firstSequence);
            }
        }

        @Override
        public int wireOpcode() {
            return Opcode.UPLOAD.finalReply();
        }
    }

    /**
     * ROWS, a partial reply to QUERY or SEARCH: {@code count} entries in their wire encoding.
     * The record owns {@code entries}.
     */
    record Rows(Opcode request, int streamId, int count, ByteBuf entries) implements Reply, ContentHolder {
        public Rows {
            if (request != Opcode.QUERY && request != Opcode.SEARCH) {
                throw new IllegalArgumentException("ROWS answer QUERY or SEARCH, not " + request);
            }
        }

        @Override
        public int wireOpcode() {
            return request.partialReply();
        }

        @Override
        public boolean isFinal() {
            return false;
        }

        @Override
        public ByteBuf content() {
            return entries;
        }
    }

    /** QUERY_DONE or SEARCH_DONE: the number of rows sent. */
    record ScanDone(Opcode request, int streamId, long totalRows) implements Reply {
        public ScanDone {
            if (request != Opcode.QUERY && request != Opcode.SEARCH) {
                throw new IllegalArgumentException("scan done answers QUERY or SEARCH, not " + request);
            }
            if (totalRows < 0) {
                throw new IllegalArgumentException("totalRows must be >= 0: " + totalRows);
            }
        }

        @Override
        public int wireOpcode() {
            return request.finalReply();
        }
    }

    /** ECHO_OK: the request's bytes. */
    record EchoOk(int streamId, ByteBuf data) implements Reply, ContentHolder {
        @Override
        public int wireOpcode() {
            return Opcode.ECHO.finalReply();
        }

        @Override
        public ByteBuf content() {
            return data;
        }
    }

    /** DOUBLE_OK: the doubled value. */
    record DoubleOk(int streamId, int value) implements Reply {
        @Override
        public int wireOpcode() {
            return Opcode.DOUBLE.finalReply();
        }
    }

    /** NEGATE_OK: the negated value. */
    record NegateOk(int streamId, int value) implements Reply {
        @Override
        public int wireOpcode() {
            return Opcode.NEGATE.finalReply();
        }
    }

    /** STATS_OK: a JSON object. */
    record StatsOk(int streamId, String json) implements Reply {
        public StatsOk {
            Objects.requireNonNull(json, "json");
        }

        @Override
        public int wireOpcode() {
            return Opcode.STATS.finalReply();
        }
    }

    /**
     * HELLO_OK: the version the server speaks on this connection, its maximum frame length
     * and its name. {@code acceptedCodecs} is on the wire from version 2 on (section 6.1).
     */
    record HelloOk(int streamId, int protocolVersion, long maxFrameLength, int acceptedCodecs, String serverName)
            implements Reply {
        public HelloOk {
            Wire.checkU16("protocolVersion", protocolVersion);
            Wire.checkU32("maxFrameLength", maxFrameLength);
            Wire.checkU16("acceptedCodecs", acceptedCodecs);
            Objects.requireNonNull(serverName, "serverName");
        }

        @Override
        public int wireOpcode() {
            return Opcode.HELLO.finalReply();
        }
    }

    /**
     * ERROR: a u16 code and a message for people. {@code code} is the raw wire value so that
     * a client can carry codes newer than itself; see {@link #errorCode()}.
     */
    record Error(int streamId, int code, String message) implements Reply {
        public Error {
            Wire.checkU16("code", code);
            Objects.requireNonNull(message, "message");
        }

        public Error(int streamId, ErrorCode code, String message) {
            this(streamId, code.code(), message);
        }

        /** The known error code, or {@code null} for a code this version does not know. */
        public ErrorCode errorCode() {
            return ErrorCode.fromCode(code);
        }

        @Override
        public int wireOpcode() {
            return Opcode.ERROR;
        }
    }
}
