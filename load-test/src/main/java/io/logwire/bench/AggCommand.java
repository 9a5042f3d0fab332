package io.logwire.bench;

import io.logwire.client.LogwireClient;
import io.logwire.protocol.aggregate.AggregateResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code agg}: aggregate scan rate (entries in the store / seconds per AGGREGATE). */
@Command(name = "agg", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Optionally loads N generated entries, then runs aggregate queries over the whole store and "
                + "reports the scan rate: entries in the store / seconds per AGGREGATE. Checks that '| count' "
                + "equals the store's entry count. Needs a protocol-version-2 server."})
final class AggCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = "--load", defaultValue = "100000", paramLabel = "N", description = "First upload N entries; 0 = none.")
    long load;

    @Option(names = "--repeat", defaultValue = "3", description = "Runs of each query.")
    int repeat;

    @Option(names = "--query", paramLabel = "AGGQUERY",
            defaultValue = "| count, sum(dataSent), avg(score) by username top 10",
            description = "A grouped query to time besides '| count'.")
    String query;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("agg");
        r.parameters().put("target", target.describe());
        r.parameters().put("load", load);
        r.parameters().put("query", query);
        if (load > 0) {
            DataGenerator gen = new DataGenerator(7, IngestCommand.runMarker(7), DataGenerator.EntrySize.NATURAL);
            IngestRun ingest = new IngestRun(target, IngestCommand.plan(4, 1000, 8, load, 0, 0, true, gen.maxEncodedBytes()), gen, deadline,
                    run.progress());
            ingest.run(r);
            if (r.failed()) {
                return r;
            }
        }
        try (LogwireClient c = LogwireClient.connect(target.builder().timeout(java.time.Duration.ofMinutes(10))
                .build())) {
            long stored = ServerInfo.of(c).entriesStored();
            r.json().put("entriesStored", stored);
            for (String q : new String[] {"| count", query}) {
                double best = Double.MAX_VALUE;
                AggregateResult last = null;
                for (int i = 0; i < repeat && System.nanoTime() < deadline; i++) {
                    long t0 = System.nanoTime();
                    last = c.sync().aggregate(q);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                if (last == null) {
                    r.fail("no time left for " + q);
                    return r;
                }
                var o = r.json().putObject(q.equals("| count") ? "count" : "grouped");
                o.put("query", q);
                o.put("bestSeconds", BenchResult.round(best, 4));
                o.put("entriesPerSecond", Math.round(stored / best));
                o.put("rows", last.rows().size());
                r.line("%-60s best %.3f s = %,.0f entries/s over %,d entries", q, best, stored / best, stored);
                if (q.equals("| count")) {
                    long counted = ((Number) last.get(0, "count")).longValue();
                    o.put("counted", counted);
                    if (counted != stored) {
                        r.fail("'| count' gave " + counted + " but the store holds " + stored);
                    }
                }
            }
        }
        return r;
    }
}
