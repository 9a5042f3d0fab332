package io.logwire.server.store.embedded;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreFilesTest {
    @Test
    void namesSortLikeTheirBaseSequences() {
        long[] bases = {0, 9, 10, 123_456_789, 1L << 40, Long.MAX_VALUE};
        List<String> names = new ArrayList<>();
        for (long b : bases) {
            String name = StoreFiles.segmentFileName(b);
            assertThat(name).hasSize(24).endsWith(".log");
            assertThat(StoreFiles.parseSegmentFileName(name)).isEqualTo(b);
            names.add(name);
        }
        assertThat(names).isSorted();
        assertThat(StoreFiles.segmentFileName(42)).isEqualTo("00000000000000000042.log");
    }

    @Test
    void otherNamesAreNotSegments() {
        assertThat(StoreFiles.parseSegmentFileName("00000000000000000042.idx")).isEqualTo(-1);
        assertThat(StoreFiles.parseSegmentFileName("0000000000000000042.log")).isEqualTo(-1);
        assertThat(StoreFiles.parseSegmentFileName("0000000000000000004x.log")).isEqualTo(-1);
        assertThat(StoreFiles.parseSegmentFileName("99999999999999999999.log")).isEqualTo(-1); // > Long.MAX_VALUE
        assertThat(StoreFiles.parseSegmentFileName("logwire.lock")).isEqualTo(-1);
        assertThatThrownBy(() -> StoreFiles.segmentFileName(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
