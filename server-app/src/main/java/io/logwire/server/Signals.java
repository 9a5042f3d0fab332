package io.logwire.server;

import sun.misc.Signal;

/**
 * SIGTERM/SIGINT handling, so that a drained server exits with status 0 rather than the
 * 143 a JVM exits with when a shutdown hook handles the signal; and SIGHUP, which reloads
 * the TLS certificate and the auth policy instead of stopping the JVM.
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

    /**
     * Runs {@code action} on every SIGHUP (on the JVM's signal thread, not an event loop), in
     * place of the JVM's default of shutting down.
     *
     * @return whether the handler was installed (false where SIGHUP does not exist, or with -Xrs)
     */
    static boolean onReload(Runnable action) {
        try {
            Signal.handle(new Signal("HUP"), s -> action.run());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
