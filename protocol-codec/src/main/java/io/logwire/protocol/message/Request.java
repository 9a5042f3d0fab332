package io.logwire.protocol.message;

import io.netty.buffer.ByteBuf;

/** The requests of PROTOCOL.md section 4, one record per opcode. */
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
}
