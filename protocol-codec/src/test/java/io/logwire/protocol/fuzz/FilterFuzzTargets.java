package io.logwire.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.FilterSyntaxException;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of the filter parser (PROTOCOL.md section 5): any text parses or
 * raises {@link FilterSyntaxException} (with a position inside the text), nothing else; a
 * parsed filter prints to text that parses back to it, and its compiled predicate gives the
 * same answer on decoded and encoded entries. Seeds: the vector filters, in
 * {@code src/test/resources/io/logwire/protocol/fuzz/FilterFuzzTargetsInputs/filters/}.
 */
class FilterFuzzTargets {
    @FuzzTest(maxDuration = "60s")
    void filters(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Filter filter;
        try {
            filter = Filter.parse(text);
        } catch (FilterSyntaxException e) {
            assertThat(e.position()).isBetween(0, text.length());
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(Filter.parse(filter.toString())).as("parse(print(f)) == f for %s", filter).isEqualTo(filter);
        EntryPredicate p = filter.compile();
        for (LogEntry e : Vectors.entries()) {
            ByteBuf buf = Unpooled.buffer();
            LogEntryCodec.encode(e, buf);
            assertThat(p.test(buf, 0)).as("encoded and decoded agree on %s", e).isEqualTo(p.test(e));
        }
    }
}
