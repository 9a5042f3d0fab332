package io.logwire.server;

import sun.misc.Signal;

/**
 * SIGTERM/SIGINT handling, so that a drained server exits with status 0 rather than the
 * 143 a JVM exits with when a shutdown hook handles the signal.
 */
final class Signals {
    private Signals() {
    }

    static void onTermination(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), s -> action.run());
            } catch (IllegalArgumentException e) {
                // Signal not available on this platform: the shutdown hook still drains.
            }
        }
    }
}
