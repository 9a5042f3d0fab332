package io.logwire.bench.jmh;

import io.logwire.protocol.compress.CompressedFrames;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.Opcode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * Unwrapping a COMPRESSED frame (PROTOCOL.md 6.7) that carries a ROWS frame of
 * {@link BenchData#BATCH} realistic entries, with each codec: the receiver's cost per entry,
 * checks and the exactly-sized output buffer included. Scores are entries/s; the set-up prints
 * the compression ratio.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DecompressBenchmark {
    @Param({"LZ4", "ZSTD"})
    public CompressionCodec codec;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ByteBuf body;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] entries = BenchData.encoded(BenchData.entries());
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(FrameConstants.HEADER_SIZE + 4 + entries.length).writeShort(Opcode.QUERY.partialReply())
                .writeInt(1).writeInt(BenchData.BATCH).writeBytes(entries);
        ByteBuf wrapped = CompressedFrames.wrap(frame, codec, alloc);
        if (wrapped == null) {
            throw new IllegalStateException("the benchmark batch does not compress");
        }
        System.out.printf("%n%s: ROWS frame of %d bytes -> COMPRESSED frame of %d bytes (ratio %.2f)%n", codec,
                frame.readableBytes(), wrapped.readableBytes(), (double) frame.readableBytes() / wrapped.readableBytes());
        body = wrapped.slice(FrameConstants.PREFIX_SIZE, wrapped.readableBytes() - FrameConstants.PREFIX_SIZE);
        frame.release();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        body.release();
    }

    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void unwrap(Blackhole bh) {
        Frame inner = CompressedFrames.unwrap(body, FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc);
        bh.consume(inner.body().readableBytes());
        inner.release();
    }
}
