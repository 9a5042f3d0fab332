package io.logwire.protocol.support;

import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.entry.SeqEntryCodec;
import java.math.BigInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.ContentHolder;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.DecoderException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Text and JSON views of decoded messages, for comparing them with vectors and with each other. */
public final class Describe {
    private Describe() {
    }

    /**
     * One line naming the message and all its fields, carried bytes as hex. Two messages
     * with the same description are the same message.
     */
    public static String message(Object msg) {
        if (msg instanceof ContentHolder h && msg instanceof Message m) {
            String count = m instanceof Request.Upload u ? ", count=" + u.count()
                    : m instanceof Reply.Rows r ? ", request=" + r.request() + ", count=" + r.count()
                    : m instanceof Request.UploadOnce u ? ", batchId=" + u.batchId() + ", count=" + u.count()
                    : m instanceof Reply.SeqRows r ? ", request=" + r.request() + ", count=" + r.count() : "";
            return m.getClass().getSimpleName() + "[stream=" + Integer.toUnsignedString(m.streamId()) + count
                    + ", content=" + ByteBufUtil.hexDump(h.content()) + "]";
        }
        return String.valueOf(msg);
    }

    /** An exception as the error frame it stands for; anything else is marked unexpected. */
    public static String error(Throwable t) {
        Throwable cause = t;
        if (!(cause instanceof ProtocolCodecException) && cause instanceof DecoderException
                && cause.getCause() instanceof ProtocolCodecException) {
            cause = cause.getCause();
        }
        if (cause instanceof ProtocolCodecException e) {
            return "ERROR " + e.errorCode() + " (" + e.errorCode().code() + ") stream="
                    + Integer.toUnsignedString(e.streamId()) + " fatal=" + e.isFatal();
        }
        return "UNEXPECTED " + t;
    }

    /**
     * The message in the shape of a vector's {@code decoded} object: the same member names,
     * entries as indices into the vectors' {@code entries} (-1 for an entry that is not one
     * of them), carried bytes as UTF-8 text.
     */
    public static JsonNode asVectorJson(Message m) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (m instanceof Request.Upload u) {
            d.put("count", u.count());
            d.put("entries", entryIndices(u.entries(), u.count()));
        } else if (m instanceof Request.Query q) {
            d.put("limit", q.limit());
            d.put("filter", q.filter());
        } else if (m instanceof Request.Search s) {
            d.put("limit", s.limit());
            d.put("term", s.term());
        } else if (m instanceof Request.Echo e) {
            d.put("data", e.data().toString(StandardCharsets.UTF_8));
        } else if (m instanceof Request.DoubleValue v) {
            d.put("value", v.value());
        } else if (m instanceof Request.NegateValue v) {
            d.put("value", v.value());
        } else if (m instanceof Request.Hello h) {
            d.put("protocolVersion", h.protocolVersion());
            if (h.protocolVersion() >= 2) {
                d.put("acceptedCodecs", h.acceptedCodecs());
            }
            d.put("clientName", h.clientName());
        } else if (m instanceof Reply.UploadOk u) {
            d.put("stored", u.stored());
            d.put("firstSequence", u.firstSequence());
        } else if (m instanceof Reply.Rows r) {
            d.put("count", r.count());
            d.put("entries", entryIndices(r.entries(), r.count()));
        } else if (m instanceof Reply.ScanDone s) {
            d.put("totalRows", s.totalRows());
        } else if (m instanceof Reply.EchoOk e) {
            d.put("data", e.data().toString(StandardCharsets.UTF_8));
        } else if (m instanceof Reply.DoubleOk v) {
            d.put("value", v.value());
        } else if (m instanceof Reply.NegateOk v) {
            d.put("value", v.value());
        } else if (m instanceof Reply.StatsOk s) {
            d.put("json", s.json());
        } else if (m instanceof Reply.HelloOk h) {
            d.put("protocolVersion", h.protocolVersion());
            d.put("maxFrameLength", h.maxFrameLength());
            if (h.protocolVersion() >= 2) {
                d.put("acceptedCodecs", h.acceptedCodecs());
            }
            d.put("serverName", h.serverName());
        } else if (m instanceof Reply.Error e) {
            d.put("code", e.code());
            d.put("message", e.message());
        } else if (m instanceof Request.UploadOnce u) {
            d.put("batchId", u.batchId().toString());
            d.put("count", u.count());
            d.put("entries", entryIndices(u.entries(), u.count()));
        } else if (m instanceof Request.QueryFrom q) {
            d.put("fromSequence", new BigInteger(Long.toUnsignedString(q.fromSequence())));
            d.put("limit", q.limit());
            d.put("filter", q.filter());
        } else if (m instanceof Request.Tail t) {
            d.put("fromSequence", new BigInteger(Long.toUnsignedString(t.fromSequence())));
            d.put("filter", t.filter());
        } else if (m instanceof Request.Cancel c) {
            d.put("targetStreamId", Integer.toUnsignedLong(c.targetStreamId()));
        } else if (m instanceof Request.Aggregate a) {
            d.put("query", a.query());
        } else if (m instanceof Request.Auth a) {
            d.put("token", a.token());
        } else if (m instanceof Reply.UploadOnceOk u) {
            d.put("stored", u.stored());
            d.put("firstSequence", u.firstSequence());
            d.put("duplicate", u.duplicate() ? 1 : 0);
        } else if (m instanceof Reply.SeqRows r) {
            List<SeqEntry> rows = SeqEntryCodec.decodeBatch(r.rows(), r.count());
            d.put("count", r.count());
            d.put("sequences", rows.stream().map(SeqEntry::sequence).toList());
            d.put("entries", rows.stream().map(x -> Vectors.entries().indexOf(x.entry())).toList());
        } else if (m instanceof Reply.SeqScanDone s) {
            d.put("totalRows", s.totalRows());
            d.put("nextSequence", new BigInteger(Long.toUnsignedString(s.nextSequence())));
        } else if (m instanceof Reply.AggregateOk a) {
            try {
                d.put("result", Vectors.mapper().readTree(a.json()));
            } catch (JsonProcessingException e) {
                throw new AssertionError("AGGREGATE_OK is not JSON: " + a.json(), e);
            }
        } else if (m instanceof Reply.AuthOk a) {
            d.put("json", a.json());
        } else if (m instanceof Reply.ErrorRetry e) {
            d.put("code", e.code());
            d.put("retryAfterMillis", e.retryAfterMillis());
            d.put("message", e.message());
        } else if (!(m instanceof Request.Stats) && !(m instanceof Reply.CancelOk)) {
            throw new AssertionError("no vector shape for " + m);
        }
        try {
            // Through text, so number nodes get the same types as the parsed vectors'.
            return Vectors.mapper().readTree(Vectors.mapper().writeValueAsString(d));
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static List<Object> entryIndices(ByteBuf entries, int count) {
        List<Object> out = new ArrayList<>();
        int p = entries.readerIndex();
        for (int n = 0; n < count; n++) {
            int length = LogEntryCodec.entryLength(entries, p, entries.writerIndex());
            if (length < 0) {
                out.add("truncated entry " + n);
                return out;
            }
            out.add(Vectors.entryHex().indexOf(ByteBufUtil.hexDump(entries, p, length)));
            p += length;
        }
        if (p != entries.writerIndex()) {
            out.add((entries.writerIndex() - p) + " bytes after the last entry");
        }
        return out;
    }
}
