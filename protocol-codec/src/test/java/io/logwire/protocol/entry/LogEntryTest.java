package io.logwire.protocol.entry;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ranges of section 3 are enforced when an entry is made. */
class LogEntryTest {

    @Test
    void numbersMustFitTheirWireTypes() {
        assertThatCode(() -> new LogEntry("", "", 65535, 4294967295L, 4294967295L, 4294967295L, Float.MAX_VALUE, ""))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> new LogEntry("", "", 65536, 0, 0, 0, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> new LogEntry("", "", -1, 0, 0, 0, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> new LogEntry("", "", 0, 4294967296L, 0, 0, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accessTime");
        assertThatThrownBy(() -> new LogEntry("", "", 0, 0, -1, 0, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataSent");
        assertThatThrownBy(() -> new LogEntry("", "", 0, 0, 0, 1L << 32, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataReceived");
    }

    @Test
    void scoreMustBeFinite() {
        for (float f : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertThatThrownBy(() -> new LogEntry("", "", 0, 0, 0, 0, f, ""))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("score");
        }
    }

    @Test
    void stringsMustNotBeNull() {
        assertThatThrownBy(() -> new LogEntry(null, "", 0, 0, 0, 0, 0, "")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new LogEntry("", null, 0, 0, 0, 0, 0, "")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new LogEntry("", "", 0, 0, 0, 0, 0, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void negativeZeroIsKeptDistinct() {
        assertThat(new LogEntry("", "", 0, 0, 0, 0, -0.0f, ""))
                .isNotEqualTo(new LogEntry("", "", 0, 0, 0, 0, 0.0f, ""));
    }
}
