package io.logwire.client.cli;

/**
 * Ctrl-C (SIGINT) as a request to stop a following command cleanly (exit code 0), through the
 * JDK's {@code sun.misc.Signal} where the platform offers it; elsewhere Ctrl-C ends the JVM as usual.
 */
final class Interrupts {
    private Interrupts() {
    }

    /** Runs {@code action} on SIGINT from now on; returns the previous handler, for {@link #restore}. */
    static Object onInterrupt(Runnable action) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            return null;
        }
    }

    static void restore(Object previous) {
        if (previous instanceof sun.misc.SignalHandler h) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("INT"), h);
            } catch (IllegalArgumentException e) {
                // the platform has no SIGINT: nothing was installed
            }
        }
    }
}
