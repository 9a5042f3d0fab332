package io.logwire.protocol.support;

import io.logwire.protocol.entry.LogEntry;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.List;

import static net.jqwik.api.Tuple.of;

/** jqwik generators shared by the property tests. */
public final class Gen {
    private Gen() {
    }

    /**
     * Unicode scalar values (no surrogates), weighted so that every UTF-8 length is common:
     * ASCII (controls included), 2-byte, 3-byte and 4-byte (emoji among them).
     */
    @SuppressWarnings("unchecked")
    public static Arbitrary<Integer> codePoints() {
        return Arbitraries.frequencyOf(
                of(4, Arbitraries.integers().between(0x20, 0x7E)),
                of(1, Arbitraries.integers().between(0x00, 0x7F)),
                of(2, Arbitraries.integers().between(0x80, 0x7FF)),
                of(2, Arbitraries.integers().between(0x800, 0xFFFF)
                        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)),
                of(2, Arbitraries.integers().between(0x1F300, 0x1FAFF)),
                of(1, Arbitraries.integers().between(0x10000, 0x10FFFF)),
                of(1, Arbitraries.of(0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF)));
    }

    /** Well-formed strings (surrogates only in pairs) of up to {@code maxCodePoints} code points. */
    @SuppressWarnings("unchecked")
    public static Arbitrary<String> strings(int maxCodePoints) {
        return Arbitraries.frequencyOf(
                of(1, Arbitraries.just("")),
                of(8, codePoints().list().ofMaxSize(maxCodePoints).map(Gen::fromCodePoints)));
    }

    public static String fromCodePoints(List<Integer> codePoints) {
        StringBuilder sb = new StringBuilder();
        codePoints.forEach(sb::appendCodePoint);
        return sb.toString();
    }

    /** Finite floats: any bit pattern, with zeros, subnormals and the extremes often. */
    @SuppressWarnings("unchecked")
    public static Arbitrary<Float> finiteFloats() {
        return Arbitraries.frequencyOf(
                of(4, Arbitraries.integers().map(Float::intBitsToFloat).filter(Float::isFinite)),
                of(2, Arbitraries.of(0.0f, -0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
                        Float.intBitsToFloat(0x007FFFFF), Float.MAX_VALUE, -Float.MAX_VALUE, 1.0f, -0.25f, 4.5f)),
                of(2, Arbitraries.integers().between(-70000, 70000).map(i -> (float) i)),
                of(1, Arbitraries.integers().between(1, 0x007FFFFF).map(Float::intBitsToFloat)));
    }

    /** Finite doubles: any bit pattern, with zeros, extremes, integers and short decimals often. */
    @SuppressWarnings("unchecked")
    public static Arbitrary<Double> finiteDoubles() {
        return Arbitraries.frequencyOf(
                of(3, Arbitraries.longs().map(Double::longBitsToDouble).filter(Double::isFinite)),
                of(2, Arbitraries.of(0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL,
                        Double.MAX_VALUE, -Double.MAX_VALUE, 1e15, 1e15 - 1, -1e15, 0.1, 65535.0, 4294967295.0,
                        (double) Float.MAX_VALUE, (double) Float.MIN_VALUE, 1e-7, 123456789.125)),
                of(2, Arbitraries.longs().between(-(1L << 53), 1L << 53).map(l -> (double) l)),
                of(2, Arbitraries.integers().between(-100000, 100000).map(i -> i / 1000.0)),
                of(1, finiteFloats().map(f -> (double) f)));
    }

    public static Arbitrary<Integer> u16() {
        return Arbitraries.integers().between(0, 0xFFFF);
    }

    public static Arbitrary<Long> u32() {
        return Arbitraries.longs().between(0, 0xFFFF_FFFFL);
    }

    /** Entries with any strings of up to {@code maxCodePoints} code points and any numbers. */
    public static Arbitrary<LogEntry> entries(int maxCodePoints) {
        return entries(strings(maxCodePoints));
    }

    public static Arbitrary<LogEntry> entries(Arbitrary<String> strings) {
        return Combinators.combine(strings, strings, u16(), u32(), u32(), u32(), finiteFloats(), strings)
                .as(LogEntry::new);
    }

    /** Raw bit patterns of NaNs and infinities. */
    public static Arbitrary<Integer> nonFiniteFloatBits() {
        return Arbitraries.integers().between(0, 0x007FFFFF)
                .flatMap(mantissa -> Arbitraries.of(0x7F800000, 0xFF800000).map(exp -> exp | mantissa));
    }
}
