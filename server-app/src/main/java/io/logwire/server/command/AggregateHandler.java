package io.logwire.server.command;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.AggregateSyntaxException;
import io.logwire.protocol.aggregate.TooManyGroupsException;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
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
        // An aggregate is a scan: it counts against --max-queries(-per-connection) and --query-timeout.
        String refusal = server.limits().startQuery(exchange.limits());
        if (refusal != null) {
            exchange.fail(ErrorCode.OVERLOADED, refusal);
            return;
        }
        int maxGroups = server.config().maxGroups();
        // A deadline the scan checks between steps (no timer: it would need the event loop to
        // get a core while the scan threads hold them all).
        java.time.Duration timeout = server.limits().queryTimeout();
        long deadline = timeout.isZero() ? Long.MAX_VALUE : exchange.startNanos() + timeout.toNanos();
        try {
            server.scanExecutor().execute(() -> {
                try {
                    run(query, maxGroups, exchange, deadline);
                } finally {
                    server.limits().queryFinished(exchange.limits());
                }
            });
        } catch (RejectedExecutionException e) {
            server.limits().queryFinished(exchange.limits());
            exchange.fail(ErrorCode.SHUTTING_DOWN, "server is shutting down");
        }
    }

    private void run(AggregateQuery query, int maxGroups, Exchange exchange, long deadline) {
        java.util.function.BooleanSupplier timedOut = () -> deadline != Long.MAX_VALUE
                && System.nanoTime() - deadline > 0;
        AggregateResult result;
        long stored = server.store().stats().entriesStored();
        try {
            result = server.store().aggregate(query, maxGroups, () -> !exchange.isOpen() || timedOut.getAsBoolean());
        } catch (TooManyGroupsException e) {
            exchange.fail(ErrorCode.OVERLOADED, e.isKeyBytes() ? e.getMessage() : "the query has more than "
                    + maxGroups + " distinct groups (the server's --max-groups): narrow the filter or group by fewer fields");
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
        if (result == null && timedOut.getAsBoolean() && exchange.isOpen()) {
            server.limits().rejected(io.logwire.server.limits.Limits.Kind.QUERY_TIME);
            exchange.fail(ErrorCode.OVERLOADED, "AGGREGATE ran past the query time limit ("
                    + io.logwire.server.limits.Limits.describe(server.limits().queryTimeout())
                    + ") and was cancelled; narrow the filter");
            return;
        }
        if (result == null) {
            exchange.abandon();
            return;
        }
        server.stats().metrics().scanFinished(Opcode.AGGREGATE, System.nanoTime() - exchange.startNanos(), stored,
                result.rows().size());
        exchange.reply(new Reply.AggregateOk(exchange.streamId(), result.toJson()));
    }
}
