package io.logwire.server.command;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.AggregateSyntaxException;
import io.logwire.protocol.aggregate.TooManyGroupsException;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;

/**
 * AGGREGATE (PROTOCOL.md 6.5): parses the query (INVALID_QUERY on errors), evaluates it on a
 * scan thread through {@link io.logwire.server.store.LogStore#aggregate} with at most
 * {@code --max-groups} groups (more is OVERLOADED) and answers AGGREGATE_OK with the JSON
 * result. The scan covers the entries stored when it starts.
 */
public final class AggregateHandler implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(AggregateHandler.class);

    private final ServerContext server;

    public AggregateHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        AggregateQuery query;
        try {
            query = AggregateQuery.parse(((Request.Aggregate) request).query());
        } catch (AggregateSyntaxException | io.logwire.protocol.filter.FilterSyntaxException e) {
            exchange.fail(ErrorCode.INVALID_QUERY, e.getMessage());
            return;
        }
        int maxGroups = server.config().maxGroups();
        try {
            server.scanExecutor().execute(() -> run(query, maxGroups, exchange));
        } catch (RejectedExecutionException e) {
            exchange.fail(ErrorCode.SHUTTING_DOWN, "server is shutting down");
        }
    }

    private void run(AggregateQuery query, int maxGroups, Exchange exchange) {
        AggregateResult result;
        try {
            result = server.store().aggregate(query, maxGroups, () -> !exchange.isOpen());
        } catch (TooManyGroupsException e) {
            exchange.fail(ErrorCode.OVERLOADED, "the query has more than " + maxGroups
                    + " distinct groups (the server's --max-groups): narrow the filter or group by fewer fields");
            return;
        } catch (io.logwire.server.store.StoreException e) {
            log.warn("AGGREGATE {}: {}", query, e.getMessage());
            exchange.fail(ErrorCode.STORAGE_ERROR, "the store could not be read: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            log.error("AGGREGATE {} failed", query, e);
            exchange.fail(ErrorCode.INTERNAL, "aggregation failed: " + e.getMessage());
            return;
        }
        if (result == null) {
            exchange.abandon();
            return;
        }
        exchange.reply(new Reply.AggregateOk(exchange.streamId(), result.toJson()));
    }
}
