package io.logwire.server.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.ServerStats;
import io.logwire.server.ServerVersion;
import io.logwire.server.store.StoreStats;
import io.logwire.server.store.clickhouse.ClickHouseLogStore;

/** STATS: the members PROTOCOL.md section 4 requires, plus store and limit figures. */
public final class StatsHandler implements CommandHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServerContext server;

    public StatsHandler(ServerContext server) {
        this.server = server;
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        exchange.reply(new Reply.StatsOk(exchange.streamId(), json()));
    }

    /** The STATS object as text. */
    public String json() {
        ServerStats s = server.stats();
        StoreStats store = server.store().stats();
        ObjectNode o = JSON.createObjectNode();
        o.put("messagesReceived", s.messagesReceived());
        o.put("entriesStored", store.entriesStored());
        o.put("connectionsOpen", s.connectionsOpen());
        o.put("connectionsAccepted", s.connectionsAccepted());
        o.put("bytesReceived", s.bytesReceived());
        o.put("bytesSent", s.bytesSent());
        o.put("uptimeMillis", s.uptimeMillis());
        o.put("protocolVersion", HelloHandler.PROTOCOL_VERSION);
        o.put("serverVersion", ServerVersion.VERSION);
        o.put("connectionsRefused", s.connectionsRefused());
        o.put("requestsInFlight", s.requestsInFlight());
        o.put("entriesUploaded", s.entriesUploaded());
        o.put("errorsSent", s.errorsSent());
        o.put("tls", server.tls());
        o.put("maxFrameLength", server.config().maxFrameLength());
        o.put("fsync", server.config().fsync().name().toLowerCase(java.util.Locale.ROOT));
        ObjectNode st = o.putObject("store");
        st.put("segments", store.segments());
        st.put("bytesOnDisk", store.bytesOnDisk());
        st.put("oldestSequence", store.oldestSequence());
        st.put("newestSequence", store.newestSequence());
        st.put("nextSequence", server.store().nextSequence());
        st.put("available", server.store().isAvailable());
        if (server.store() instanceof ClickHouseLogStore ch) {
            st.put("backend", "clickhouse");
            st.put("url", ch.url().toString());
            st.put("rowsInserted", ch.rowsInserted());
            st.put("inserts", ch.inserts());
            st.put("insertErrors", ch.insertErrors());
        } else {
            st.put("backend", "embedded");
        }
        return o.toString();
    }
}
