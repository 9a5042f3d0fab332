package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A compiled filter answers the same for an entry and for its encoding (EntryPredicate's contract). */
class CompiledFilterTest {

    private static boolean[] bothWays(EntryPredicate p, LogEntry e) {
        ByteBuf buf = new TrackingAllocator().buffer().writeByte(0);
        try {
            LogEntryCodec.encode(e, buf);
            return new boolean[] {p.test(e), p.test(buf, 1)};
        } finally {
            buf.release();
        }
    }

    @Test
    void stringFieldsAreComparedExactlyOnBothPaths() {
        LogEntry e = new LogEntry("Zo\u00eb \uD83D\uDC36", "::1", 0, 0, 0, 0, 0, "localhost");
        assertThat(bothWays(Filter.parse("username=Zo\u00eb \uD83D\uDC36").compile(), e)).containsExactly(true, true);
        assertThat(bothWays(Filter.parse("username=zo\u00eb \uD83D\uDC36").compile(), e)).containsExactly(false, false);
        assertThat(bothWays(Filter.parse("username=Zo\u00eb").compile(), e)).containsExactly(false, false);
        assertThat(bothWays(Filter.parse("server!=localhost").compile(), e)).containsExactly(false, false);
        assertThat(bothWays(Filter.parse("IP=::1, server=localhost").compile(), e)).containsExactly(true, true);
        assertThat(bothWays(Filter.parse("IP=::1, server=localhostx").compile(), e)).containsExactly(false, false);
    }

    @Test
    void numericFieldsAreReadAtTheirOffsetsOnBothPaths() {
        LogEntry e = new LogEntry("u", "ip", 65535, 4294967295L, 7, 8, -0.25f, "s");
        for (String f : List.of("port=65535", "accessTime=4294967295", "dataSent=7", "dataReceived=8",
                "score=-0.25", "score<0", "port>65534, accessTime>=4294967295, dataSent<8, dataReceived<=8")) {
            assertThat(bothWays(Filter.parse(f).compile(), e)).as(f).containsExactly(true, true);
        }
        for (String f : List.of("port=65534", "accessTime<4294967295", "dataSent=8", "dataReceived=7",
                "score=-0.2", "score>=0")) {
            assertThat(bothWays(Filter.parse(f).compile(), e)).as(f).containsExactly(false, false);
        }
    }

    /**
     * A Java string can hold an unpaired surrogate, which no entry can (LogEntryCodec refuses
     * it), so {@code username=<lone surrogate>} matches nothing. CompiledFilter.StringTest
     * turns the value into bytes with String.getBytes(UTF_8), which replaces the surrogate
     * with '?': on encoded entries the filter then matches a username "?".
     */
    @Test
    void aValueNoEntryCanHoldMatchesTheSameOnBothPaths() {
        LogEntry question = new LogEntry("?", "", 0, 0, 0, 0, 0, "");
        EntryPredicate eq = new Filter(List.of(new Criterion.StringCriterion(Field.USERNAME, Operator.EQ, "\uD800")))
                .compile();
        EntryPredicate ne = new Filter(List.of(new Criterion.StringCriterion(Field.USERNAME, Operator.NE, "\uD800")))
                .compile();
        assertThat(bothWays(eq, question)).as("username=<lone surrogate> on \"?\"").containsExactly(false, false);
        assertThat(bothWays(ne, question)).as("username!=<lone surrogate> on \"?\"").containsExactly(true, true);
        assertThat(bothWays(Filter.parse("username=\uDC00").compile(), question)).containsExactly(false, false);
    }
}
