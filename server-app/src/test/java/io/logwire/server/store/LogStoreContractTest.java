package io.logwire.server.store;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.SearchPredicate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link LogStore} promises, run against each backend by a subclass: numbering,
 * QUERY and SEARCH semantics against the protocol's predicates, limits, atomic batches under
 * concurrent scans, streaming to a slow reader, and restart.
 */
public abstract class LogStoreContractTest {
    /** Opens the store under test, or the same store again after {@link LogStore#close()}. */
    protected abstract LogStore open();

    /** The first sequence a fresh store gives (0 for a single node). */
    protected long firstSequence() {
        return 0;
    }

    private final List<LogStore> opened = new ArrayList<>();

    protected LogStore store() {
        LogStore s = open();
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(LogStore::close);
    }

    /** A stored entry as read back. */
    public record Stored(long sequence, LogEntry entry) {
    }

    /** Entries with awkward text: quotes, backslashes, NUL, line breaks, and Unicode case traps. */
    static final String[] NAMES = {"Amy Brown", "amy brown", "O'Brien", "back\\slash", "quote\"d", "nul\0byte",
            "line\nbreak", "tab\tx", "José", "JOSÉ", "Ярослав", "\u212Aelvin", "İstanbul", "straße", "STRASSE", "🙂 emoji",
            "", "' OR 1=1 --", "\\'", "%_like"};

    public static LogEntry entry(int i) {
        return new LogEntry(NAMES[i % NAMES.length] + (i % 3 == 0 ? "" : "-" + (i % 7)),
                i % 5 == 0 ? "10.0.0." + (i % 13) : "host-" + NAMES[(i * 7) % NAMES.length],
                (i * 37) % 65536, 1_700_000_000L + i, (i * 13L) % 100_000, i % 4 == 0 ? 4_294_967_295L : i * 17L,
                (i % 41) / 8f - 2.5f, i % 6 == 0 ? "web-01" : "srv-" + NAMES[(i * 3) % NAMES.length]);
    }

    public static List<LogEntry> entries(int from, int count) {
        List<LogEntry> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            out.add(entry(from + k));
        }
        return out;
    }

    public static ByteBuf encode(List<LogEntry> entries) {
        ByteBuf buf = Unpooled.directBuffer();
        LogEntryCodec.encodeAll(entries, buf);
        return buf;
    }

    public static AppendResult append(LogStore store, List<LogEntry> entries) {
        return store.append(encode(entries), entries.size()).join();
    }

    public static List<Stored> read(LogStore store, EntryPredicate predicate, Filter filter, long limit) {
        List<Stored> out = new ArrayList<>();
        try (Cursor c = store.openCursor(0, predicate, filter, limit)) {
            boolean more = true;
            while (more && !c.isExhausted()) {
                c.advance((seq, buf, off, len) -> {
                    out.add(new Stored(seq, LogEntryCodec.decodeValid(buf, off)));
                    return limit == 0 || out.size() < limit;
                }, 997);
                more = limit == 0 || out.size() < limit;
            }
        }
        return out;
    }

    public static List<Stored> readAll(LogStore store) {
        return read(store, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL, 0);
    }

    static List<Stored> numbered(long first, List<LogEntry> entries) {
        List<Stored> out = new ArrayList<>();
        for (int k = 0; k < entries.size(); k++) {
            out.add(new Stored(first + k, entries.get(k)));
        }
        return out;
    }

    static List<Stored> expected(List<Stored> all, EntryPredicate p, long limit) {
        List<Stored> out = new ArrayList<>();
        for (Stored s : all) {
            if (p.test(s.entry()) && (limit == 0 || out.size() < limit)) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void batchesGetContiguousSequencesAndReadBackInOrder() {
        LogStore store = store();
        long first = firstSequence();
        assertThat(store.nextSequence()).isEqualTo(first);
        assertThat(readAll(store)).isEmpty();
        assertThat(append(store, entries(0, 3))).isEqualTo(new AppendResult(3, first));
        assertThat(append(store, entries(3, 500))).isEqualTo(new AppendResult(500, first + 3));
        assertThat(append(store, List.of())).isEqualTo(new AppendResult(0, first + 503));
        assertThat(store.nextSequence()).isEqualTo(first + 503);
        assertThat(readAll(store)).isEqualTo(numbered(first, entries(0, 503)));
        try (Cursor c = store.openCursor(first + 100, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL)) {
            long[] seen = {-1};
            c.advance((seq, buf, off, len) -> {
                seen[0] = seq;
                return false;
            }, 10);
            assertThat(seen[0]).isEqualTo(first + 100);
        }
    }

    @Test
    void queryResultsAreExactlyTheFilterPredicates() {
        LogStore store = store();
        List<LogEntry> data = entries(0, 2000);
        append(store, data);
        List<Stored> all = numbered(firstSequence(), data);
        String[] filters = {"", "port=443", "port!=0", "port<100.5", "port<=37", "port>65000", "port>=65535.0",
                "dataReceived=4294967295", "dataReceived<4294967295", "dataSent=26", "dataSent=26.5", "dataSent!=26.5",
                "accessTime>=1700001000.5", "accessTime<1700000010, accessTime>1700000002",
                "score>0.5", "score<=-2.5", "score=0.125", "score!=0", "score>=-0.0", "score<1e-310", "score>-1e300",
                "username=Amy Brown", "username=amy brown", "username!=Amy Brown", "username=\"O'Brien\"",
                "username=\"back\\\\slash-1\"", "username=\"quote\\\"d-2\"", "username=\"' OR 1=1 ---3\"",
                "server=web-01", "server=web-01, score>0", "IP=10.0.0.5", "username=José", "username=\"🙂 emoji\"",
                "username=\"\"", "server=\"srv-\\\\'\"", "username=\"%_like-1\""};
        for (String text : filters) {
            Filter f = Filter.parse(text);
            EntryPredicate p = f.compile();
            assertThat(read(store, p, f, 0)).as(text).isEqualTo(expected(all, p, 0));
            assertThat(read(store, p, f, 7)).as(text + " limit 7").isEqualTo(expected(all, p, 7));
        }
    }

    @Test
    void searchIsUnicodeCaseInsensitiveExactlyAsThePredicate() {
        LogStore store = store();
        List<LogEntry> data = entries(0, 600);
        append(store, data);
        List<Stored> all = numbered(firstSequence(), data);
        String[] terms = {"", "amy", "AMY BROWN", "josé", "JOSÉ", "k", "KELVIN", "\u212A", "i̇", "istanbul", "ß", "SS",
                "straße", "'", "\\", "\0", "\n", "🙂", "web-01", "10.0.0.1", "%", "_", "nothing-matches-this"};
        for (String term : terms) {
            SearchPredicate p = new SearchPredicate(term);
            assertThat(read(store, p, Filter.MATCH_ALL, 0)).as("search " + term).isEqualTo(expected(all, p, 0));
            assertThat(read(store, p, Filter.MATCH_ALL, 3)).as("search " + term + " limit 3")
                    .isEqualTo(expected(all, p, 3));
        }
    }

    @Test
    void batchesAreAllOrNothingForConcurrentScans() throws Exception {
        LogStore store = store();
        int batches = 40;
        int size = 250;
        AtomicBoolean done = new AtomicBoolean();
        List<String> violations = new ArrayList<>();
        Thread scanner = new Thread(() -> {
            while (!done.get()) {
                Map<String, Integer> perBatch = new HashMap<>();
                for (Stored s : readAll(store)) {
                    perBatch.merge(s.entry().server(), 1, Integer::sum);
                }
                perBatch.forEach((batch, n) -> {
                    if (n != size) {
                        synchronized (violations) {
                            violations.add(batch + " had " + n + " of " + size + " entries visible");
                        }
                    }
                });
            }
        });
        scanner.start();
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            List<LogEntry> batch = new ArrayList<>();
            for (LogEntry e : entries(b * size, size)) {
                batch.add(new LogEntry(e.username(), e.ip(), e.port(), e.accessTime(), e.dataSent(), e.dataReceived(),
                        e.score(), "batch-" + b));
            }
            futures.add(store.append(encode(batch), size));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).join();
        done.set(true);
        scanner.join();
        assertThat(violations).isEmpty();
        List<Stored> all = readAll(store);
        assertThat(all).hasSize(batches * size);
        for (int k = 0; k < all.size(); k++) {
            assertThat(all.get(k).sequence()).isEqualTo(firstSequence() + k);
        }
        for (CompletableFuture<AppendResult> f : futures) {
            AppendResult r = f.join();
            assertThat(all.get((int) (r.firstSequence() - firstSequence())).entry().server())
                    .isEqualTo(all.get((int) (r.firstSequence() - firstSequence()) + size - 1).entry().server());
        }
    }

    @Test
    void aSlowReaderGetsEverythingInOrder() throws Exception {
        LogStore store = store();
        int n = 30_000;
        for (int k = 0; k < n; k += 5000) {
            append(store, entries(k, 5000));
        }
        long next = firstSequence();
        int got = 0;
        try (Cursor c = store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL)) {
            long[] expect = {next};
            while (!c.isExhausted()) {
                int step = c.advance((seq, buf, off, len) -> {
                    assertThat(seq).isEqualTo(expect[0]);
                    assertThat(LogEntryCodec.decodeValid(buf, off)).isEqualTo(entry((int) (seq - firstSequence())));
                    expect[0]++;
                    return true;
                }, 1500);
                got += step;
                if (got % 6000 == 0) {
                    Thread.sleep(150); // a client that reads slowly: the scan waits between steps
                }
            }
        }
        assertThat(got).isEqualTo(n);
    }

    @Test
    void dataAndNumberingSurviveRestart() {
        LogStore store = store();
        append(store, entries(0, 100));
        store.close();
        LogStore again = store();
        assertThat(again.nextSequence()).isEqualTo(firstSequence() + 100);
        assertThat(append(again, entries(100, 50))).isEqualTo(new AppendResult(50, firstSequence() + 100));
        assertThat(readAll(again)).isEqualTo(numbered(firstSequence(), entries(0, 150)));
    }

    // ------------------------------------------------------------------ UPLOAD_ONCE (PROTOCOL.md 6.2)

    static OnceResult once(LogStore store, io.logwire.protocol.message.BatchId id, List<LogEntry> batch) {
        ByteBuf buf = encode(batch);
        return store.appendOnce(id, BatchDigest.of(buf, batch.size()), buf, batch.size()).join();
    }

    @org.junit.jupiter.api.Test
    void uploadOnceStoresABatchOnceAcrossARestart() {
        long first = firstSequence();
        io.logwire.protocol.message.BatchId id = io.logwire.protocol.message.BatchId.random();
        LogStore s = store();
        append(s, entries(0, 3));
        org.assertj.core.api.Assertions.assertThat(once(s, id, entries(3, 5)))
                .isEqualTo(new OnceResult(5, first + 3, false));
        org.assertj.core.api.Assertions.assertThat(once(s, id, entries(3, 5)))
                .isEqualTo(new OnceResult(5, first + 3, true));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> once(s, id, entries(4, 5)))
                .hasCauseInstanceOf(BatchIdReusedException.class);
        s.close();
        LogStore again = store();
        org.assertj.core.api.Assertions.assertThat(once(again, id, entries(3, 5)))
                .isEqualTo(new OnceResult(5, first + 3, true));
        org.assertj.core.api.Assertions.assertThat(readAll(again)).isEqualTo(numbered(first, entries(0, 8)));
    }

    @org.junit.jupiter.api.Test
    void concurrentUploadOnceOfOneBatchStoresItOnce() {
        LogStore s = store();
        io.logwire.protocol.message.BatchId id = io.logwire.protocol.message.BatchId.random();
        List<java.util.concurrent.CompletableFuture<OnceResult>> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ByteBuf buf = encode(entries(0, 6));
            all.add(s.appendOnce(id, BatchDigest.of(buf, 6), buf, 6));
        }
        int originals = 0;
        for (java.util.concurrent.CompletableFuture<OnceResult> f : all) {
            OnceResult r = f.join();
            org.assertj.core.api.Assertions.assertThat(r.firstSequence()).isEqualTo(firstSequence());
            originals += r.duplicate() ? 0 : 1;
        }
        org.assertj.core.api.Assertions.assertThat(originals).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThat(readAll(s)).isEqualTo(numbered(firstSequence(), entries(0, 6)));
    }
}
