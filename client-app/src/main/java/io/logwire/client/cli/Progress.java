package io.logwire.client.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.io.PrintStream;

/** Upload progress: a bar on a terminal (bytes with ETA, plus entries and entries/s), nothing otherwise. */
interface Progress extends AutoCloseable {
    /** Reports that {@code bytes} of input have been read and {@code entries} sent. */
    void update(long bytes, long entries);

    @Override
    void close();

    /** No display (not a terminal). */
    static Progress none() {
        return new Progress() {
            @Override
            public void update(long bytes, long entries) {
            }

            @Override
            public void close() {
            }
        };
    }

    /** A progress bar on {@code err}; {@code totalBytes} < 0 when unknown (standard input). */
    static Progress bar(long totalBytes, PrintStream err) {
        ProgressBar pb = new ProgressBarBuilder()
                .setTaskName("upload")
                .setInitialMax(totalBytes)
                .setUnit(" MiB", 1 << 20)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(err))
                .clearDisplayOnFinish()
                .build();
        long start = System.nanoTime();
        return new Progress() {
            @Override
            public void update(long bytes, long entries) {
                double s = (System.nanoTime() - start) / 1e9;
                pb.stepTo(bytes);
                pb.setExtraMessage(String.format(" %,d entries, %,.0f entries/s", entries, s > 0 ? entries / s : 0));
            }

            @Override
            public void close() {
                pb.close();
            }
        };
    }
}
