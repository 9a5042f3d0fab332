package io.logwire.client;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class StreamIdsTest {
    @Test
    void increasesFromOne() {
        StreamIds ids = new StreamIds();
        assertThat(ids.next(id -> false)).isEqualTo(1);
        assertThat(ids.next(id -> false)).isEqualTo(2);
        assertThat(ids.next(id -> false)).isEqualTo(3);
    }

    @Test
    void skipsIdsStillInUse() {
        StreamIds ids = new StreamIds();
        Set<Integer> inUse = Set.of(2, 3, 5);
        assertThat(ids.next(inUse::contains)).isEqualTo(1);
        assertThat(ids.next(inUse::contains)).isEqualTo(4);
        assertThat(ids.next(inUse::contains)).isEqualTo(6);
    }

    @Test
    void wrapsAroundTheU32RangeSkippingZeroAndReservedIds() {
        // 0xFFFFFFFE and 0xFFFFFFFF are the largest u32 values; 1 is still reserved by a timed-out request.
        StreamIds ids = new StreamIds(0xFFFF_FFFE);
        Set<Integer> inUse = new HashSet<>(Set.of(1));
        assertThat(Integer.toUnsignedLong(ids.next(inUse::contains))).isEqualTo(0xFFFF_FFFEL);
        assertThat(Integer.toUnsignedLong(ids.next(inUse::contains))).isEqualTo(0xFFFF_FFFFL);
        assertThat(ids.next(inUse::contains)).isEqualTo(2); // not 0 (reserved), not 1 (in use)
    }
}
