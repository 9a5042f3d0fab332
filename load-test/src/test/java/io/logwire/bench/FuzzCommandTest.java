package io.logwire.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The network fuzzer's frames: in-step mutations keep the framing, out-of-step ones break it. */
class FuzzCommandTest {
    private final List<byte[]> seeds = seeds();

    private static List<byte[]> seeds() {
        try {
            return FuzzCommand.seeds(null);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theVectorsAreInsideTheTool() {
        assertThat(seeds).hasSizeGreaterThan(20);
        for (byte[] f : seeds) {
            assertThat(length(f)).as("a vector frame is whole").isEqualTo(f.length - 4);
        }
    }

    @Test
    void inStepFramesKeepTheirLengthFieldRight() {
        FuzzCommand fuzz = new FuzzCommand();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] f = FuzzCommand.inStep(fuzz.mutate(seeds, rnd, FuzzCommand.Mutation.IN_STEP));
            assertThat(length(f)).isEqualTo(f.length - 4);
            if (f[4] == 0 && f[5] == 8 && f.length >= 12) {
                assertThat(f[10] << 8 | f[11]).as("HELLO stays at version 1").isEqualTo(1);
            }
        }
    }

    @Test
    void outOfStepFramesMostlyBreakTheFraming() {
        FuzzCommand fuzz = new FuzzCommand();
        SplittableRandom rnd = new SplittableRandom(7);
        int broken = 0;
        for (int i = 0; i < 1000; i++) {
            byte[] f = fuzz.mutate(seeds, rnd, FuzzCommand.Mutation.OUT_OF_STEP);
            if (f.length < 4 || length(f) != f.length - 4) {
                broken++;
            }
        }
        assertThat(broken).isGreaterThan(800);
    }

    private static long length(byte[] f) {
        return ((f[0] & 0xFFL) << 24) | ((f[1] & 0xFF) << 16) | ((f[2] & 0xFF) << 8) | (f[3] & 0xFF);
    }
}
