package io.logwire.protocol.message;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/** The requests of PROTOCOL.md sections 4 and 6, one record per opcode. */
public sealed interface Request extends Message {
    /** This request's opcode. */
    Opcode opcode();

    @Override
    default int wireOpcode() {
        return opcode().code();
    }

    /**
     * UPLOAD: {@code count} entries, already validated, in their wire encoding.
     * {@code entries} holds exactly those bytes; the record owns it.
     */
    record Upload(int streamId, int count, ByteBuf entries) implements Request, ContentHolder {
        @Override
        public Opcode opcode() {
            return Opcode.UPLOAD;
        }

        @Override
        public ByteBuf content() {
            return entries;
        }
    }

    /** QUERY: a u32 {@code limit} (0 = none) and the filter text. */
    record Query(int streamId, long limit, String filter) implements Request {
        public Query {
            Wire.checkU32("limit", limit);
        }

        @Override
        public Opcode opcode() {
            return Opcode.QUERY;
        }
    }

    /** ECHO: any bytes, returned unchanged. */
    record Echo(int streamId, ByteBuf data) implements Request, ContentHolder {
        @Override
        public Opcode opcode() {
            return Opcode.ECHO;
        }

        @Override
        public ByteBuf content() {
            return data;
        }
    }

    /** SEARCH: a u32 {@code limit} (0 = none) and a case-insensitive substring. */
    record Search(int streamId, long limit, String term) implements Request {
        public Search {
            Wire.checkU32("limit", limit);
        }

        @Override
        public Opcode opcode() {
            return Opcode.SEARCH;
        }
    }

    /** DOUBLE: an i32 to multiply by two. */
    record DoubleValue(int streamId, int value) implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.DOUBLE;
        }
    }

    /** NEGATE: an i32 to negate. */
    record NegateValue(int streamId, int value) implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.NEGATE;
        }
    }

    /** STATS: no body. */
    record Stats(int streamId) implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.STATS;
        }
    }

    /**
     * HELLO: the client's protocol version and name. {@code acceptedCodecs} exists from
     * version 2 on (section 6.1) and is 0 before. For a version this codec does not know,
     * only the version is decoded and {@code clientName} is empty.
     */
    record Hello(int streamId, int protocolVersion, int acceptedCodecs, String clientName) implements Request {
        public Hello {
            Wire.checkU16("protocolVersion", protocolVersion);
            Wire.checkU16("acceptedCodecs", acceptedCodecs);
        }

        @Override
        public Opcode opcode() {
            return Opcode.HELLO;
        }
    }

    /**
     * UPLOAD_ONCE (version 2, 6.2): an UPLOAD deduplicated by {@code batchId} (never all
     * zero: the decoder refuses that). {@code entries} holds the {@code count} validated entries
     * in their wire encoding; the record owns it.
     */
    record UploadOnce(int streamId, BatchId batchId, int count, ByteBuf entries) implements Request, ContentHolder {
        public UploadOnce {
            Objects.requireNonNull(batchId, "batchId");
        }

        @Override
        public Opcode opcode() {
            return Opcode.UPLOAD_ONCE;
        }

        @Override
        public ByteBuf content() {
            return entries;
        }
    }

    /**
     * QUERY_FROM (version 2, 6.3): matches of {@code filter} with a sequence at or above
     * {@code fromSequence} (a u64, compare it with {@link Long#compareUnsigned}), at most
     * {@code limit} (u32, 0 = none) of them.
     */
    record QueryFrom(int streamId, long fromSequence, long limit, String filter) implements Request {
        public QueryFrom {
            Wire.checkU32("limit", limit);
            Objects.requireNonNull(filter, "filter");
        }

        @Override
        public Opcode opcode() {
            return Opcode.QUERY_FROM;
        }
    }

    /**
     * TAIL (version 2, 6.4): stored matches of {@code filter} from {@code fromSequence}, then
     * every new one. {@link #FROM_NOW} ({@code 0xFFFFFFFFFFFFFFFF}) means only entries stored
     * from now on.
     */
    record Tail(int streamId, long fromSequence, String filter) implements Request {
        /** The {@code fromSequence} that asks only for entries stored from now on. */
        public static final long FROM_NOW = -1L;

        public Tail {
            Objects.requireNonNull(filter, "filter");
        }

        /** Whether this tail starts at the next stored entry. */
        public boolean fromNow() {
            return fromSequence == FROM_NOW;
        }

        @Override
        public Opcode opcode() {
            return Opcode.TAIL;
        }
    }

    /** CANCEL (version 2, 6.3): ends the request on {@code targetStreamId} (a u32). */
    record Cancel(int streamId, int targetStreamId) implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.CANCEL;
        }
    }

    /**
     * AGGREGATE (version 2, 6.5): the query text, parsed by
     * {@link io.logwire.protocol.aggregate.AggregateQueryParser}.
     */
    record Aggregate(int streamId, String query) implements Request {
        public Aggregate {
            Objects.requireNonNull(query, "query");
        }

        @Override
        public Opcode opcode() {
            return Opcode.AGGREGATE;
        }
    }

    /** AUTH (6.8): a bearer token. {@link #toString()} never shows it. */
    record Auth(int streamId, String token) implements Request {
        public Auth {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public Opcode opcode() {
            return Opcode.AUTH;
        }

        @Override
        public String toString() {
            return "Auth[streamId=" + Integer.toUnsignedString(streamId) + ", token=<" + token.length() + " chars>]";
        }
    }
}
