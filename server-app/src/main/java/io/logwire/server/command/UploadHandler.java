package io.logwire.server.command;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/**
 * UPLOAD: hands the validated entry bytes to the store as they arrived (no re-encoding) and
 * acknowledges once the store says the batch is durable.
 */
public final class UploadHandler implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(UploadHandler.class);
    private final ServerContext server;

    public UploadHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Request.Upload upload = (Request.Upload) request;
        int count = upload.count();
        int bytes = upload.entries().readableBytes();
        server.store().append(upload.entries(), count).whenComplete((result, error) -> {
            if (error == null) {
                server.entriesUploaded(count);
                server.entryBytesUploaded(bytes);
                server.stats().metrics().uploadAcknowledged(System.nanoTime() - exchange.startNanos());
                exchange.reply(new Reply.UploadOk(exchange.streamId(), result.stored(), result.firstSequence()));
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof StoreException se && se.getMessage() != null && se.getMessage().contains("overloaded")) {
                exchange.fail(ErrorCode.OVERLOADED, "store is overloaded; nothing of the batch was stored; retry later");
            } else {
                log.error("upload of {} entries could not be made durable", count, cause);
                exchange.fail(ErrorCode.STORAGE_ERROR, "the batch could not be made durable (" + cause.getMessage()
                        + "); nothing of it was stored");
            }
        });
    }
}
