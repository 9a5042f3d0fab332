package io.logwire.bench;

import io.logwire.client.ConnectionException;
import io.logwire.client.LogwireException;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * A scenario: runs within {@code --max-seconds} (a watchdog ends the process if it overruns by
 * a minute), then prints its summary and, with {@code --json}, its JSON result.
 */
abstract class Scenario implements Callable<Integer> {
    @Mixin
    RunOptions run = new RunOptions();

    /** Runs the scenario; {@code deadline} is the System.nanoTime() by which work must stop. */
    abstract BenchResult execute(long deadline) throws Exception;

    /** True when standard output carries data (generate -o -), so the summary goes to standard error. */
    boolean stdoutIsData() {
        return false;
    }

    @Override
    public final Integer call() throws Exception {
        long start = System.nanoTime();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(run.maxSeconds * 1000L + 60_000L);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("logwire-bench: still running a minute after --max-seconds " + run.maxSeconds
                    + "; stopping");
            Runtime.getRuntime().halt(Main.EXIT_TIMEOUT);
        }, "bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        PrintStream human = run.json || stdoutIsData() ? System.err : System.out;
        if (run.json && stdoutIsData()) {
            throw new IllegalArgumentException("--json needs standard output: write the data with --out FILE");
        }
        try {
            BenchResult r = execute(run.deadlineNanos(start));
            r.json().put("wallSeconds", BenchResult.round((System.nanoTime() - start) / 1e9, 3));
            r.print(System.out, human, run.json);
            return r.failed() ? Main.EXIT_FAILED : 0;
        } catch (ConnectionException e) {
            System.err.println("logwire-bench: cannot connect: " + e.getMessage());
            return Main.EXIT_CONNECT;
        } catch (LogwireException e) {
            System.err.println("logwire-bench: " + e.getMessage());
            return Main.EXIT_FAILED;
        } finally {
            watchdog.interrupt();
        }
    }
}
