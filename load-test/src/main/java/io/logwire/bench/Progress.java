package io.logwire.bench;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A progress bar on standard error, refreshed from a background thread; only on a terminal
 * (elsewhere {@link #start} returns a no-op), so redirected output stays clean.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final Thread poller;
    private volatile boolean stop;

    private Progress(ProgressBar bar, Thread poller) {
        this.bar = bar;
        this.poller = poller;
    }

    static Progress start(boolean enabled, String task, long max, String unit, LongSupplier done,
                          Supplier<String> extra) {
        if (!enabled) {
            return new Progress(null, null);
        }
        ProgressBar pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(unit, 1)
                .setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .clearDisplayOnFinish().build();
        Progress[] self = new Progress[1];
        Thread t = new Thread(() -> {
            while (!self[0].stop) {
                pb.stepTo(done.getAsLong());
                pb.setExtraMessage(extra.get());
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-progress");
        t.setDaemon(true);
        self[0] = new Progress(pb, t);
        t.start();
        return self[0];
    }

    @Override
    public void close() {
        stop = true;
        if (poller != null) {
            poller.interrupt();
            bar.close();
        }
    }
}
