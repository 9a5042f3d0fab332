package io.logwire.bench;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataGeneratorTest {
    private final DataGenerator gen = new DataGenerator(42, "run-x", DataGenerator.EntrySize.NATURAL);

    @Test
    void sameSeedSameEntriesOtherSeedOtherEntries() {
        DataGenerator again = new DataGenerator(42, "run-x", DataGenerator.EntrySize.NATURAL);
        DataGenerator other = new DataGenerator(43, "run-x", DataGenerator.EntrySize.NATURAL);
        assertThat(again.batch(0, 1000, 3)).isEqualTo(gen.batch(0, 1000, 3));
        assertThat(other.batch(0, 1000, 3)).isNotEqualTo(gen.batch(0, 1000, 3));
        assertThat(gen.entry(12_345, 2)).isEqualTo(again.batch(12_340, 10, 2).get(5));
    }

    @Test
    void entriesCarryMarkerKeyAndConnection() {
        LogEntry e = gen.entry(777, 5);
        assertThat(e.server()).isEqualTo("run-x");
        assertThat(e.dataSent()).isEqualTo(777);
        assertThat(DataGenerator.connectionOf(e)).isEqualTo(5);
        assertThat(DataGenerator.connectionOf(new LogEntry("alice", "1.2.3.4", 1, 1, 1, 1, 1f, "s"))).isEqualTo(-1);
    }

    @Test
    void selectivitiesAreExactOnEveryBlockOfTenThousand() {
        for (long base : new long[] {0, 10_000, 1_230_000}) {
            int lt1 = 0;
            int lt100 = 0;
            int lt5000 = 0;
            Set<Integer> ports = new HashSet<>();
            for (long g = base; g < base + DataGenerator.PORT_CYCLE; g++) {
                int p = gen.port(g);
                ports.add(p);
                lt1 += p < 1 ? 1 : 0;
                lt100 += p < 100 ? 1 : 0;
                lt5000 += p < 5000 ? 1 : 0;
            }
            assertThat(ports).hasSize(DataGenerator.PORT_CYCLE);
            assertThat(lt1).isEqualTo(1);
            assertThat(lt100).isEqualTo(100);
            assertThat(lt5000).isEqualTo(5000);
        }
    }

    @Test
    void matchingEntriesAreSpreadNotClustered() {
        // 1 % of 100,000 entries = 1000 matches, in every tenth of the data about 100.
        List<LogEntry> all = gen.batch(0, 100_000, 0);
        for (int part = 0; part < 10; part++) {
            long n = all.subList(part * 10_000, (part + 1) * 10_000).stream().filter(e -> e.port() < 100).count();
            assertThat(n).isEqualTo(100);
        }
    }

    @Test
    void entrySizeDistributionIsHonoured() {
        DataGenerator fixed = new DataGenerator(1, "m", DataGenerator.EntrySize.parse("200"));
        DataGenerator range = new DataGenerator(1, "m", DataGenerator.EntrySize.parse("100-300"));
        for (long g = 0; g < 1000; g++) {
            assertThat(LogEntryCodec.encodedSize(fixed.entry(g, 1))).isEqualTo(200);
            assertThat(LogEntryCodec.encodedSize(range.entry(g, 1))).isBetween(100, 300);
            assertThat(DataGenerator.connectionOf(range.entry(g, 1))).isEqualTo(1);
        }
        assertThat(DataGenerator.EntrySize.parse("natural")).isEqualTo(DataGenerator.EntrySize.NATURAL);
        assertThatThrownBy(() -> DataGenerator.EntrySize.parse("300-100")).isInstanceOf(IllegalArgumentException.class);
    }
}
