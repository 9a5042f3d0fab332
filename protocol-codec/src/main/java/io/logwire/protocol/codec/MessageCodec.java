package io.logwire.protocol.codec;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.MalformedEntryException;
import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.entry.Utf8;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.frame.FrameEncoder;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.ContentHolder;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Message bodies of PROTOCOL.md sections 4 and 6 in both directions, independent of any pipeline.
 * Decoding never trusts a length or count further than the bytes present, and reports every
 * problem as a {@link ProtocolCodecException} on the frame's stream.
 */
public final class MessageCodec {
    /** Bodies up to this size are copied next to the header; larger ones are sent as they are. */
    private static final int COPY_THRESHOLD = 1024;

    private MessageCodec() {
    }

    // ---------------------------------------------------------------- requests, decoding

    /**
     * Decodes the request in a frame. The body's bytes are not consumed; zero-copy requests
     * hold retained slices of it.
     */
    public static Request decodeRequest(int opcode, int streamId, ByteBuf body) {
        if (streamId == FrameConstants.CONNECTION_STREAM) {
            throw new ProtocolCodecException(ErrorCode.INVALID_REQUEST, FrameConstants.CONNECTION_STREAM,
                    "stream 0 is reserved for connection-level errors; send requests on another stream");
        }
        Opcode op = Opcode.forRequest(opcode);
        if (op == null) {
            throw new ProtocolCodecException(ErrorCode.UNKNOWN_OPCODE, streamId,
                    (opcode & (Opcode.FINAL_REPLY_BIT | Opcode.PARTIAL_REPLY_BIT)) != 0
                            ? String.format("opcode 0x%04x is a reply, not a request", opcode)
                            : String.format("unknown opcode 0x%04x", opcode));
        }
        int index = body.readerIndex();
        int length = body.readableBytes();
        return switch (op) {
            case UPLOAD -> decodeUpload(streamId, body, index, length);
            case QUERY -> new Request.Query(streamId, readLimit(op, streamId, body, index, length),
                    text(streamId, "filter", body, index + 4, length - 4));
            case SEARCH -> new Request.Search(streamId, readLimit(op, streamId, body, index, length),
                    text(streamId, "search term", body, index + 4, length - 4));
            case ECHO -> new Request.Echo(streamId, body.retainedSlice());
            case DOUBLE -> new Request.DoubleValue(streamId, readI32(op, streamId, body, index, length));
            case NEGATE -> new Request.NegateValue(streamId, readI32(op, streamId, body, index, length));
            case STATS -> {
                if (length != 0) {
                    throw invalid(streamId, "STATS takes an empty body, got " + length + " bytes");
                }
                yield new Request.Stats(streamId);
            }
            case HELLO -> decodeHello(streamId, body, index, length);
            case UPLOAD_ONCE -> decodeUploadOnce(streamId, body, index, length);
            case QUERY_FROM -> {
                if (length < 12) {
                    throw invalid(streamId, "QUERY_FROM body is " + length
                            + " bytes; it needs 12 for fromSequence and limit before the filter");
                }
                yield new Request.QueryFrom(streamId, body.getLong(index), body.getUnsignedInt(index + 8),
                        text(streamId, "filter", body, index + 12, length - 12));
            }
            case TAIL -> {
                if (length < 8) {
                    throw invalid(streamId, "TAIL body is " + length
                            + " bytes; it needs 8 for fromSequence before the filter");
                }
                yield new Request.Tail(streamId, body.getLong(index),
                        text(streamId, "filter", body, index + 8, length - 8));
            }
            case CANCEL -> {
                if (length != 4) {
                    throw invalid(streamId, "CANCEL takes a 4-byte target stream id, got " + length + " bytes");
                }
                yield new Request.Cancel(streamId, body.getInt(index));
            }
            case AGGREGATE -> new Request.Aggregate(streamId, text(streamId, "aggregate query", body, index, length));
            case AUTH -> new Request.Auth(streamId, text(streamId, "token", body, index, length));
        };
    }

    private static Request.UploadOnce decodeUploadOnce(int streamId, ByteBuf body, int index, int length) {
        if (length < BatchId.SIZE + 4) {
            throw invalid(streamId, "UPLOAD_ONCE body is " + length + " bytes; it needs at least "
                    + (BatchId.SIZE + 4) + " for the batch id and the entry count");
        }
        BatchId batchId = BatchId.read(body, index);
        if (batchId.isZero()) {
            throw invalid(streamId, "UPLOAD_ONCE batch id is all zero bytes; pick a random one (a UUID)");
        }
        int entries = index + BatchId.SIZE + 4;
        long count = body.getUnsignedInt(index + BatchId.SIZE);
        try {
            LogEntryCodec.validateBatch(body, entries, length - BatchId.SIZE - 4, count);
        } catch (MalformedEntryException e) {
            throw invalid(streamId, "UPLOAD_ONCE " + e.getMessage() + "; nothing of the batch was stored");
        }
        return new Request.UploadOnce(streamId, batchId, (int) count,
                body.retainedSlice(entries, length - BatchId.SIZE - 4));
    }

    private static Request.Upload decodeUpload(int streamId, ByteBuf body, int index, int length) {
        if (length < 4) {
            throw invalid(streamId, "UPLOAD body is " + length + " bytes; it needs at least 4 for the entry count");
        }
        long count = body.getUnsignedInt(index);
        try {
            LogEntryCodec.validateBatch(body, index + 4, length - 4, count);
        } catch (MalformedEntryException e) {
            throw invalid(streamId, "UPLOAD " + e.getMessage() + "; nothing of the batch was stored");
        }
        // validateBatch proved count entries of >= 24 bytes fit in the frame, so count fits an int.
        return new Request.Upload(streamId, (int) count, body.retainedSlice(index + 4, length - 4));
    }

    private static Request.Hello decodeHello(int streamId, ByteBuf body, int index, int length) {
        if (length < 2) {
            throw invalid(streamId, "HELLO body is " + length + " bytes; it needs at least 2 for the version");
        }
        int version = body.getUnsignedShort(index);
        return switch (version) {
            case 1 -> new Request.Hello(streamId, 1, 0, text(streamId, "client name", body, index + 2, length - 2));
            case 2 -> {
                if (length < 4) {
                    throw invalid(streamId, "HELLO version 2 needs 4 bytes before the client name, got " + length);
                }
                yield new Request.Hello(streamId, 2, body.getUnsignedShort(index + 2),
                        text(streamId, "client name", body, index + 4, length - 4));
            }
            // A version we do not know: its layout is unknown too; the server refuses it.
            default -> new Request.Hello(streamId, version, 0, "");
        };
    }

    private static long readLimit(Opcode op, int streamId, ByteBuf body, int index, int length) {
        if (length < 4) {
            throw invalid(streamId, op + " body is " + length + " bytes; it needs at least 4 for the limit");
        }
        return body.getUnsignedInt(index);
    }

    private static int readI32(Opcode op, int streamId, ByteBuf body, int index, int length) {
        if (length != 4) {
            throw invalid(streamId, op + " takes a 4-byte i32, got " + length + " bytes");
        }
        return body.getInt(index);
    }

    private static String text(int streamId, String what, ByteBuf body, int index, int length) {
        String s = Utf8.decode(body, index, length);
        if (s == null) {
            throw invalid(streamId, "the " + what + " is not valid UTF-8");
        }
        return s;
    }

    private static ProtocolCodecException invalid(int streamId, String message) {
        return new ProtocolCodecException(ErrorCode.INVALID_REQUEST, streamId, message);
    }

    // ---------------------------------------------------------------- replies, decoding

    /**
     * Decodes a reply frame (the client side). ROWS hold retained slices of the body with
     * their entries validated.
     */
    public static Reply decodeReply(int opcode, int streamId, ByteBuf body) {
        int index = body.readerIndex();
        int length = body.readableBytes();
        if (opcode == Opcode.ERROR) {
            need(opcode, streamId, length, 2, false);
            return new Reply.Error(streamId, body.getUnsignedShort(index),
                    replyText(opcode, streamId, body, index + 2, length - 2));
        }
        if (opcode == Opcode.ERROR_RETRY) {
            need(opcode, streamId, length, 6, false);
            return new Reply.ErrorRetry(streamId, body.getUnsignedShort(index), body.getUnsignedInt(index + 2),
                    replyText(opcode, streamId, body, index + 6, length - 6));
        }
        int kind = opcode & (Opcode.FINAL_REPLY_BIT | Opcode.PARTIAL_REPLY_BIT);
        boolean partial = kind == Opcode.PARTIAL_REPLY_BIT;
        Opcode op = kind == Opcode.PARTIAL_REPLY_BIT || kind == Opcode.FINAL_REPLY_BIT
                ? Opcode.forRequest(opcode & 0x3FFF) : null;
        if (op == null) {
            throw malformedReply(streamId, String.format("unknown reply opcode 0x%04x", opcode));
        }
        if (partial && (op == Opcode.QUERY_FROM || op == Opcode.TAIL)) {
            need(opcode, streamId, length, 4, false);
            long count = body.getUnsignedInt(index);
            try {
                SeqEntryCodec.validateBatch(body, index + 4, length - 4, count);
            } catch (MalformedEntryException e) {
                throw malformedReply(streamId, "SEQ_ROWS row " + e.getMessage().replaceFirst("^entry ", ""));
            }
            // validateBatch proved count rows of >= 32 bytes fit in the frame, so count fits an int.
            return new Reply.SeqRows(op, streamId, (int) count, body.retainedSlice(index + 4, length - 4));
        }
        if (partial) {
            if (op != Opcode.QUERY && op != Opcode.SEARCH) {
                throw malformedReply(streamId, String.format("unknown partial reply opcode 0x%04x", opcode));
            }
            need(opcode, streamId, length, 4, false);
            long count = body.getUnsignedInt(index);
            try {
                LogEntryCodec.validateBatch(body, index + 4, length - 4, count);
            } catch (MalformedEntryException e) {
                throw malformedReply(streamId, "ROWS " + e.getMessage());
            }
            return new Reply.Rows(op, streamId, (int) count, body.retainedSlice(index + 4, length - 4));
        }
        return switch (op) {
            case UPLOAD -> {
                need(opcode, streamId, length, 12, true);
                yield new Reply.UploadOk(streamId, body.getUnsignedInt(index), checkSequence(streamId,
                        body.getLong(index + 4)));
            }
            case QUERY, SEARCH -> {
                need(opcode, streamId, length, 8, true);
                yield new Reply.ScanDone(op, streamId, checkSequence(streamId, body.getLong(index)));
            }
            case ECHO -> new Reply.EchoOk(streamId, body.retainedSlice());
            case DOUBLE -> {
                need(opcode, streamId, length, 4, true);
                yield new Reply.DoubleOk(streamId, body.getInt(index));
            }
            case NEGATE -> {
                need(opcode, streamId, length, 4, true);
                yield new Reply.NegateOk(streamId, body.getInt(index));
            }
            case STATS -> new Reply.StatsOk(streamId, replyText(opcode, streamId, body, index, length));
            case HELLO -> {
                need(opcode, streamId, length, 6, false);
                int version = body.getUnsignedShort(index);
                long maxFrame = body.getUnsignedInt(index + 2);
                if (version >= 2) {
                    need(opcode, streamId, length, 8, false);
                    yield new Reply.HelloOk(streamId, version, maxFrame, body.getUnsignedShort(index + 6),
                            replyText(opcode, streamId, body, index + 8, length - 8));
                }
                yield new Reply.HelloOk(streamId, version, maxFrame, 0,
                        replyText(opcode, streamId, body, index + 6, length - 6));
            }
            case UPLOAD_ONCE -> {
                need(opcode, streamId, length, 13, true);
                int duplicate = body.getUnsignedByte(index + 12);
                if (duplicate > 1) {
                    throw malformedReply(streamId, "UPLOAD_ONCE_OK duplicate flag is " + duplicate + "; it must be 0 or 1");
                }
                yield new Reply.UploadOnceOk(streamId, body.getUnsignedInt(index),
                        checkSequence(streamId, body.getLong(index + 4)), duplicate == 1);
            }
            case QUERY_FROM, TAIL -> {
                need(opcode, streamId, length, 16, true);
                yield new Reply.SeqScanDone(op, streamId, checkSequence(streamId, body.getLong(index)),
                        body.getLong(index + 8));
            }
            case CANCEL -> {
                need(opcode, streamId, length, 0, true);
                yield new Reply.CancelOk(streamId);
            }
            case AGGREGATE -> new Reply.AggregateOk(streamId, replyText(opcode, streamId, body, index, length));
            case AUTH -> new Reply.AuthOk(streamId, replyText(opcode, streamId, body, index, length));
        };
    }

    private static long checkSequence(int streamId, long value) {
        if (value < 0) {
            throw malformedReply(streamId, "u64 value " + Long.toUnsignedString(value) + " is out of range");
        }
        return value;
    }

    private static void need(int opcode, int streamId, int length, int needed, boolean exact) {
        if (exact ? length != needed : length < needed) {
            throw malformedReply(streamId, String.format("reply 0x%04x body is %d bytes; expected %s%d", opcode, length,
                    exact ? "" : "at least ", needed));
        }
    }

    private static String replyText(int opcode, int streamId, ByteBuf body, int index, int length) {
        String s = Utf8.decode(body, index, length);
        if (s == null) {
            throw malformedReply(streamId, String.format("reply 0x%04x text is not valid UTF-8", opcode));
        }
        return s;
    }

    private static ProtocolCodecException malformedReply(int streamId, String message) {
        return new ProtocolCodecException(ErrorCode.MALFORMED_FRAME, streamId, message);
    }

    // ---------------------------------------------------------------- encoding, both sides

    /**
     * Encodes {@code m} as whole frames (length field included) into {@code out}: one buffer,
     * or a header buffer followed by the retained content of a large {@link ContentHolder}.
     * Does not release {@code m}.
     *
     * @throws IllegalArgumentException if a text field has an unpaired surrogate, or the
     *                                  frame would exceed the u32 length
     */
    public static void encode(Message m, ByteBufAllocator alloc, List<Object> out) {
        if (m instanceof ContentHolder holder) {
            ByteBuf content = holder.content();
            int fixed = countFieldSize(m);
            int bodyLength = fixed + content.readableBytes();
            checkLength(bodyLength);
            if (content.readableBytes() <= COPY_THRESHOLD) {
                ByteBuf buf = alloc.buffer(FrameConstants.PREFIX_SIZE + bodyLength);
                FrameEncoder.writeHeader(buf, bodyLength, m.wireOpcode(), m.streamId());
                writeCount(m, buf);
                buf.writeBytes(content, content.readerIndex(), content.readableBytes());
                out.add(buf);
            } else {
                ByteBuf header = alloc.buffer(FrameConstants.PREFIX_SIZE + fixed);
                FrameEncoder.writeHeader(header, bodyLength, m.wireOpcode(), m.streamId());
                writeCount(m, header);
                out.add(header);
                out.add(content.retainedDuplicate());
            }
            return;
        }
        out.add(encodeSimple(m, alloc));
    }

    /** Encodes {@code m} into one new buffer holding the whole frame. Does not release {@code m}. */
    public static ByteBuf encode(Message m, ByteBufAllocator alloc) {
        if (!(m instanceof ContentHolder holder)) {
            return encodeSimple(m, alloc);
        }
        ByteBuf content = holder.content();
        int bodyLength = countFieldSize(m) + content.readableBytes();
        checkLength(bodyLength);
        ByteBuf buf = alloc.buffer(FrameConstants.PREFIX_SIZE + bodyLength);
        FrameEncoder.writeHeader(buf, bodyLength, m.wireOpcode(), m.streamId());
        writeCount(m, buf);
        buf.writeBytes(content, content.readerIndex(), content.readableBytes());
        return buf;
    }

    private static int countFieldSize(Message m) {
        if (m instanceof Request.UploadOnce) {
            return BatchId.SIZE + 4;
        }
        return m instanceof Request.Upload || m instanceof Reply.Rows || m instanceof Reply.SeqRows ? 4 : 0;
    }

    private static void writeCount(Message m, ByteBuf buf) {
        if (m instanceof Request.Upload u) {
            buf.writeInt(u.count());
        } else if (m instanceof Reply.Rows r) {
            buf.writeInt(r.count());
        } else if (m instanceof Request.UploadOnce u) {
            u.batchId().write(buf);
            buf.writeInt(u.count());
        } else if (m instanceof Reply.SeqRows r) {
            buf.writeInt(r.count());
        }
    }

    private static void checkLength(long bodyLength) {
        if (bodyLength > 0xFFFF_FFFFL - FrameConstants.HEADER_SIZE) {
            throw new IllegalArgumentException("frame body of " + bodyLength + " bytes exceeds the u32 length field");
        }
    }

    private static ByteBuf encodeSimple(Message m, ByteBufAllocator alloc) {
        ByteBuf buf = alloc.buffer(64);
        try {
            int start = buf.writerIndex();
            FrameEncoder.writeHeader(buf, 0, m.wireOpcode(), m.streamId());
            if (m instanceof Request r) {
                writeRequestBody(r, buf);
            } else {
                writeReplyBody((Reply) m, buf);
            }
            buf.setInt(start, buf.writerIndex() - start - FrameConstants.LENGTH_FIELD_SIZE);
            return buf;
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    private static void writeRequestBody(Request r, ByteBuf buf) {
        if (r instanceof Request.Query q) {
            buf.writeInt((int) q.limit());
            writeText(buf, q.filter());
        } else if (r instanceof Request.Search s) {
            buf.writeInt((int) s.limit());
            writeText(buf, s.term());
        } else if (r instanceof Request.DoubleValue d) {
            buf.writeInt(d.value());
        } else if (r instanceof Request.NegateValue n) {
            buf.writeInt(n.value());
        } else if (r instanceof Request.Hello h) {
            buf.writeShort(h.protocolVersion());
            if (h.protocolVersion() >= 2) {
                buf.writeShort(h.acceptedCodecs());
            }
            writeText(buf, h.clientName());
        } else if (r instanceof Request.QueryFrom q) {
            buf.writeLong(q.fromSequence()).writeInt((int) q.limit());
            writeText(buf, q.filter());
        } else if (r instanceof Request.Tail t) {
            buf.writeLong(t.fromSequence());
            writeText(buf, t.filter());
        } else if (r instanceof Request.Cancel c) {
            buf.writeInt(c.targetStreamId());
        } else if (r instanceof Request.Aggregate a) {
            writeText(buf, a.query());
        } else if (r instanceof Request.Auth a) {
            writeText(buf, a.token());
        } else if (!(r instanceof Request.Stats)) {
            throw new AssertionError("not a fixed-layout request: " + r);
        }
    }

    private static void writeReplyBody(Reply r, ByteBuf buf) {
        if (r instanceof Reply.UploadOk u) {
            buf.writeInt((int) u.stored()).writeLong(u.firstSequence());
        } else if (r instanceof Reply.ScanDone d) {
            buf.writeLong(d.totalRows());
        } else if (r instanceof Reply.DoubleOk d) {
            buf.writeInt(d.value());
        } else if (r instanceof Reply.NegateOk n) {
            buf.writeInt(n.value());
        } else if (r instanceof Reply.StatsOk s) {
            writeText(buf, s.json());
        } else if (r instanceof Reply.HelloOk h) {
            buf.writeShort(h.protocolVersion()).writeInt((int) h.maxFrameLength());
            if (h.protocolVersion() >= 2) {
                buf.writeShort(h.acceptedCodecs());
            }
            writeText(buf, h.serverName());
        } else if (r instanceof Reply.Error e) {
            buf.writeShort(e.code());
            writeText(buf, e.message().isEmpty() ? "error" : e.message());
        } else if (r instanceof Reply.ErrorRetry e) {
            buf.writeShort(e.code()).writeInt((int) e.retryAfterMillis());
            writeText(buf, e.message().isEmpty() ? "error" : e.message());
        } else if (r instanceof Reply.UploadOnceOk u) {
            buf.writeInt((int) u.stored()).writeLong(u.firstSequence()).writeByte(u.duplicate() ? 1 : 0);
        } else if (r instanceof Reply.SeqScanDone d) {
            buf.writeLong(d.totalRows()).writeLong(d.nextSequence());
        } else if (r instanceof Reply.CancelOk) {
            // empty body
        } else if (r instanceof Reply.AggregateOk a) {
            writeText(buf, a.json());
        } else if (r instanceof Reply.AuthOk a) {
            writeText(buf, a.json());
        } else {
            throw new AssertionError("not a fixed-layout reply: " + r);
        }
    }

    private static void writeText(ByteBuf buf, String text) {
        int n = Utf8.encodedLength(text); // refuses unpaired surrogates
        buf.ensureWritable(n);
        buf.writeCharSequence(text, StandardCharsets.UTF_8);
    }
}
