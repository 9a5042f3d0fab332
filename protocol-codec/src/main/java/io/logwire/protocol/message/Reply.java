package io.logwire.protocol.message;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/** The replies of PROTOCOL.md sections 4 and 6, one record per reply layout. */
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

    /**
     * UPLOAD_ONCE_OK (version 2, 6.2): as UPLOAD_OK, plus whether the batch had been stored
     * before (then {@code stored} and {@code firstSequence} are those of the first time).
     */
    record UploadOnceOk(int streamId, long stored, long firstSequence, boolean duplicate) implements Reply {
        public UploadOnceOk {
            Wire.checkU32("stored", stored);
            if (firstSequence < 0) {
                throw new IllegalArgumentException("firstSequence must be >= 0: " + firstSequence);
            }
        }

        @Override
        public int wireOpcode() {
            return Opcode.UPLOAD_ONCE.finalReply();
        }
    }

    /**
     * SEQ_ROWS (version 2, 6.3 and 6.4), a partial reply to QUERY_FROM or TAIL: {@code count}
     * rows of {@code u64 sequence} + Entry in their wire encoding (build them with
     * {@link io.logwire.protocol.entry.SeqEntryCodec#write}, read them with
     * {@link io.logwire.protocol.entry.SeqEntryCodec#decodeBatch}). The record owns {@code rows}.
     */
    record SeqRows(Opcode request, int streamId, int count, ByteBuf rows) implements Reply, ContentHolder {
        public SeqRows {
            if (request != Opcode.QUERY_FROM && request != Opcode.TAIL) {
                throw new IllegalArgumentException("SEQ_ROWS answer QUERY_FROM or TAIL, not " + request);
            }
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0: " + count);
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
            return rows;
        }
    }

    /**
     * QUERY_FROM_DONE or TAIL_DONE (version 2): the rows sent and the sequence to resume from
     * (a u64; compare with {@link Long#compareUnsigned}).
     */
    record SeqScanDone(Opcode request, int streamId, long totalRows, long nextSequence) implements Reply {
        public SeqScanDone {
            if (request != Opcode.QUERY_FROM && request != Opcode.TAIL) {
                throw new IllegalArgumentException("sequenced scan done answers QUERY_FROM or TAIL, not " + request);
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

    /** CANCEL_OK (version 2): empty. */
    record CancelOk(int streamId) implements Reply {
        @Override
        public int wireOpcode() {
            return Opcode.CANCEL.finalReply();
        }
    }

    /**
     * AGGREGATE_OK (version 2, 6.5): the JSON object {@code {"columns": [...], "rows": [...]}}
     * (see {@link io.logwire.protocol.aggregate.AggregateResult}).
     */
    record AggregateOk(int streamId, String json) implements Reply {
        public AggregateOk {
            Objects.requireNonNull(json, "json");
        }

        @Override
        public int wireOpcode() {
            return Opcode.AGGREGATE.finalReply();
        }
    }

    /** AUTH_OK (6.8): the JSON object {@code {"identity": "...", "roles": [...]}}. */
    record AuthOk(int streamId, String json) implements Reply {
        public AuthOk {
            Objects.requireNonNull(json, "json");
        }

        @Override
        public int wireOpcode() {
            return Opcode.AUTH.finalReply();
        }
    }

    /**
     * ERROR_RETRY (version 2, 6.6): an ERROR with a hint, sent for OVERLOADED and SHUTTING_DOWN
     * to version-2 clients: wait at least {@code retryAfterMillis} (a u32) before retrying.
     */
    record ErrorRetry(int streamId, int code, long retryAfterMillis, String message) implements Reply {
        public ErrorRetry {
            Wire.checkU16("code", code);
            Wire.checkU32("retryAfterMillis", retryAfterMillis);
            Objects.requireNonNull(message, "message");
        }

        public ErrorRetry(int streamId, ErrorCode code, long retryAfterMillis, String message) {
            this(streamId, code.code(), retryAfterMillis, message);
        }

        /** The known error code, or {@code null} for a code this version does not know. */
        public ErrorCode errorCode() {
            return ErrorCode.fromCode(code);
        }

        @Override
        public int wireOpcode() {
            return Opcode.ERROR_RETRY;
        }
    }
}
