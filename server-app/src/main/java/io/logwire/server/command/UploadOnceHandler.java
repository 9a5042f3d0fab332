package io.logwire.server.command;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.store.BatchDigest;
import io.logwire.server.store.BatchIdReusedException;
import io.logwire.server.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/**
 * UPLOAD_ONCE (PROTOCOL.md 6.2): UPLOAD with a batch id. The body digest ({@link BatchDigest},
 * SHA-256 over the count and the entry bytes, computed here while the bytes are at hand) and
 * the id go to {@link io.logwire.server.store.LogStore#appendOnce}, which stores the batch
 * unless the id is already stored: then the reply repeats the original {@code stored} and
 * {@code firstSequence} with {@code duplicate} = 1. The codec already refused an all-zero id
 * and malformed entries.
 */
public final class UploadOnceHandler implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(UploadOnceHandler.class);
    private final ServerContext server;

    public UploadOnceHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Request.UploadOnce upload = (Request.UploadOnce) request;
        int count = upload.count();
        int bytes = upload.entries().readableBytes();
        BatchDigest digest = BatchDigest.of(upload.entries(), count);
        server.store().appendOnce(upload.batchId(), digest, upload.entries(), count).whenComplete((result, error) -> {
            if (error == null) {
                if (result.duplicate()) {
                    server.stats().metrics().uploadDuplicate();
                } else {
                    server.entriesUploaded(count);
                    server.entryBytesUploaded(bytes);
                }
                server.stats().metrics().uploadAcknowledged(System.nanoTime() - exchange.startNanos());
                exchange.reply(new Reply.UploadOnceOk(exchange.streamId(), result.stored(), result.firstSequence(),
                        result.duplicate()));
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof BatchIdReusedException) {
                exchange.fail(ErrorCode.INVALID_REQUEST, cause.getMessage() + "; nothing was stored");
            } else if (cause instanceof UnsupportedOperationException) {
                exchange.fail(ErrorCode.UNKNOWN_OPCODE, "UPLOAD_ONCE is not served by this server's store backend ("
                        + cause.getMessage() + ")");
            } else if (cause instanceof StoreException se && se.getMessage() != null
                    && se.getMessage().contains("overloaded")) {
                exchange.fail(ErrorCode.OVERLOADED, "store is overloaded; nothing of the batch was stored; retry later");
            } else {
                log.error("UPLOAD_ONCE of {} entries could not be made durable", count, cause);
                exchange.fail(ErrorCode.STORAGE_ERROR, "the batch could not be made durable (" + cause.getMessage()
                        + "); nothing of it was stored");
            }
        });
    }
}
