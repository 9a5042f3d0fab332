package io.logwire.server.store.embedded;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.server.store.FsyncPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures the AGGREGATE scan rate of the embedded store over many entries (issue 9's target:
 * 50M entries/s over 10M). A measuring harness, not a unit test: run it with
 * {@code -Dlogwire.bench.aggregate=10000000} (entries); it prints entries/s per query.
 */
@EnabledIfSystemProperty(named = "logwire.bench.aggregate", matches = "\\d+")
class AggregateScanRateBench {
    @TempDir
    Path dir;

    @Test
    void aggregateScanRate() {
        int n = Integer.getInteger("logwire.bench.aggregate");
        try (EmbeddedLogStore store = EmbeddedLogStore.open(EmbeddedStoreConfig.builder(dir)
                .fsyncPolicy(FsyncPolicy.NEVER).segmentBytes(256L << 20).build())) {
            Random r = new Random(1);
            String[] users = new String[50];
            for (int i = 0; i < users.length; i++) {
                users[i] = "user" + i;
            }
            int batch = 10_000;
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (int done = 0; done < n; done += batch) {
                ByteBuf buf = Unpooled.directBuffer(batch * 64);
                for (int k = 0; k < batch; k++) {
                    LogEntryCodec.encode(new LogEntry(users[r.nextInt(users.length)], "10.0.0." + r.nextInt(256),
                            r.nextInt(65536), 1_700_000_000L + done + k, r.nextInt(1 << 20), r.nextInt(1 << 20),
                            r.nextFloat(), "srv" + r.nextInt(8)), buf);
                }
                pending.add(store.append(buf, batch));
                if (pending.size() >= 32) {
                    pending.forEach(CompletableFuture::join);
                    pending.clear();
                }
            }
            pending.forEach(CompletableFuture::join);
            for (String q : new String[] {"| count", "| count, sum(dataSent), max(port)",
                    "port>32768 | count, avg(score)", "| count, sum(dataSent) by username top 10",
                    "| count by server, username"}) {
                AggregateQuery query = AggregateQuery.parse(q);
                for (int round = 0; round < 3; round++) {
                    long t0 = System.nanoTime();
                    AggregateResult res = store.aggregate(query, 100_000, () -> false);
                    double s = (System.nanoTime() - t0) / 1e9;
                    assertThat(res.rows()).isNotEmpty();
                    System.out.printf("AGGREGATE %-45s %,d entries in %.3f s = %,.1f M entries/s%n",
                            q, n, s, n / s / 1e6);
                }
            }
        }
    }
}
