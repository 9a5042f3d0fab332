package io.logwire.server.store.clickhouse;

import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.SearchPredicate;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.MatchSink;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.util.List;
import java.util.Map;

/**
 * One scan: a single {@code SELECT ... ORDER BY seq FORMAT RowBinary} whose result is read as
 * ClickHouse streams it, so a slow reader holds back ClickHouse through TCP instead of filling
 * memory. The query starts at the first {@link #advance}, on the scan thread. Every row is
 * re-encoded to wire form and tested with the protocol's predicate, whatever the SQL
 * pre-filter already did. With an {@code end} (the keeper's stable point), only rows below it
 * are read and an exhausted cursor stands at {@code end}. Not thread-safe (one thread at a time).
 */
final class ClickHouseCursor implements Cursor {
    private final ClickHouseHttp http;
    private final List<URI> endpoints;
    private final String sql;
    private final EntryPredicate predicate;
    private final ByteBuf entry = Unpooled.buffer(256);
    private InputStream in;
    private RowBinary.Reader reader;
    private long position;
    private final long end;
    private boolean exhausted;
    private boolean closed;

    /** @param end rows at or above it are not read; {@link Long#MAX_VALUE} for none */
    ClickHouseCursor(ClickHouseHttp http, List<URI> endpoints, String table, long fromSequence, long end,
                     EntryPredicate predicate, Filter filter, long limit) {
        this.http = http;
        this.endpoints = endpoints;
        this.predicate = predicate;
        this.position = fromSequence;
        this.end = end;
        ClickHouseSql.Translation where = predicate instanceof SearchPredicate s
                ? ClickHouseSql.search(s.term()) : ClickHouseSql.filter(filter);
        this.sql = "SELECT " + ClickHouseSql.SCAN_COLUMNS + " FROM " + table
                + " WHERE seq >= " + Long.toUnsignedString(Math.max(0, fromSequence))
                + (end == Long.MAX_VALUE ? "" : " AND seq < " + end) + " AND (" + where.condition() + ")"
                + " ORDER BY seq" + (limit > 0 && where.exact() ? " LIMIT " + limit : "") + " FORMAT RowBinary";
    }

    /** The statement this cursor runs (for tests and logs). */
    String sql() {
        return sql;
    }

    @Override
    public int advance(MatchSink sink, int maxScanned) {
        if (closed) {
            throw new IllegalStateException("cursor is closed");
        }
        if (exhausted) {
            return 0;
        }
        int handed = 0;
        try {
            if (reader == null) {
                in = new BufferedInputStream(open(), 64 * 1024);
                reader = new RowBinary.Reader(in);
            }
            for (int scanned = 0; scanned < maxScanned; scanned++) {
                if (!reader.next(entry)) {
                    exhausted = true;
                    if (end != Long.MAX_VALUE) {
                        position = Math.max(position, end);
                    }
                    closeStream();
                    break;
                }
                long seq = reader.sequence();
                position = seq + 1;
                if (predicate.test(entry, 0)) {
                    handed++;
                    if (!sink.accept(seq, entry, 0, entry.readableBytes())) {
                        break;
                    }
                }
            }
        } catch (IOException e) {
            close();
            throw new StoreException("ClickHouse scan failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new StoreException("ClickHouse scan interrupted", e);
        }
        return handed;
    }

    /** Starts the query on the first endpoint that accepts the connection (each has the Distributed table). */
    private InputStream open() throws IOException, InterruptedException {
        IOException refused = null;
        for (URI u : endpoints) {
            try {
                return http.stream(u, sql, Map.of());
            } catch (ConnectException | HttpConnectTimeoutException e) {
                refused = e;
            }
        }
        throw refused;
    }

    @Override
    public boolean isExhausted() {
        return exhausted;
    }

    @Override
    public long position() {
        return position;
    }

    private void closeStream() {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // The connection is dropped either way.
            }
            in = null;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeStream();
            entry.release();
        }
    }
}
