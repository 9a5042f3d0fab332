package io.logwire.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.MalformedEntryException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of the entry codec (PROTOCOL.md section 3): the first input byte is
 * the batch's {@code count}, the rest its bytes. {@code validateBatch} and {@code decode} raise
 * nothing but {@link MalformedEntryException}, agree with each other, and a batch they accept
 * re-encodes to exactly its bytes. Seeds: the vector entries, in
 * {@code src/test/resources/io/logwire/protocol/fuzz/EntryCodecFuzzTargetsInputs/batches/}.
 */
class EntryCodecFuzzTargets {
    @FuzzTest(maxDuration = "60s")
    void batches(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int count = input[0] & 0xFF;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        MalformedEntryException batchError = null;
        try {
            LogEntryCodec.validateBatch(buf, 0, body.length, count);
        } catch (MalformedEntryException e) {
            batchError = e;
            assertThat(e.entryIndex()).isBetween(0L, (long) count);
        }

        // Entry by entry with decode: the first failure is at the index validateBatch named.
        List<LogEntry> decoded = new ArrayList<>();
        ByteBuf cursor = Unpooled.wrappedBuffer(body);
        long failedAt = -1;
        for (int i = 0; i < count; i++) {
            try {
                decoded.add(LogEntryCodec.decode(cursor));
            } catch (MalformedEntryException e) {
                failedAt = i;
                break;
            }
        }
        if (failedAt < 0 && cursor.isReadable()) {
            failedAt = count; // bytes left over
        }
        if (batchError == null) {
            assertThat(failedAt).as("decode agrees that the batch is good").isEqualTo(-1);
            ByteBuf out = Unpooled.buffer();
            LogEntryCodec.encodeAll(decoded, out);
            byte[] again = new byte[out.readableBytes()];
            out.readBytes(again);
            assertThat(again).as("encode(decode(x)) == x").isEqualTo(body);
            assertThat(LogEntryCodec.decodeBatch(Unpooled.wrappedBuffer(body), count)).isEqualTo(decoded);
        } else {
            assertThat(failedAt).as("decode fails at the entry validateBatch named").isEqualTo(batchError.entryIndex());
        }
    }
}
