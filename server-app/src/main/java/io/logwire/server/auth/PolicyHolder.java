package io.logwire.server.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The policy in force, reloaded from its file on {@link #reload} (SIGHUP) and by a watcher
 * thread that checks the file's size and modification time every interval, like the TLS
 * certificate reload. A file that no longer parses is logged at WARN and the old policy stays.
 *
 * <p>Thread-safe: {@link #policy()} and {@link #version()} are volatile reads (event loops);
 * reloads are serialized and run on the watcher's or the caller's thread, never an event loop.
 */
public final class PolicyHolder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PolicyHolder.class);

    private final Path file;
    private final ScheduledExecutorService watcher;
    private volatile AuthPolicy policy;
    private volatile long version;
    private String stamp;

    private PolicyHolder(Path file, AuthPolicy policy, String stamp, Duration interval) {
        this.file = file;
        this.policy = policy;
        this.stamp = stamp;
        if (file != null && !interval.isZero()) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "logwire-auth-policy-watch");
                t.setDaemon(true);
                return t;
            });
            long every = Math.max(1, interval.toMillis());
            watcher.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            watcher = null;
        }
    }

    /** Loads {@code file} and, with a non-zero interval, watches it. */
    public static PolicyHolder load(Path file, Duration interval) throws PolicyException {
        String stamp = stamp(file);
        AuthPolicy p = AuthPolicy.load(file);
        log.info("auth policy {} loaded: {} tokens, {} certificate identities", file, p.tokens().size(),
                p.certificates().size());
        return new PolicyHolder(file, p, stamp, interval);
    }

    /** A fixed policy with no file (tests; servers without --auth-policy). */
    public static PolicyHolder fixed(AuthPolicy policy) {
        return new PolicyHolder(null, policy, null, Duration.ZERO);
    }

    public AuthPolicy policy() {
        return policy;
    }

    /** Increases with every policy change, so connections know to re-check their identity. */
    public long version() {
        return version;
    }

    /** Re-reads the file now (SIGHUP). Returns whether a new policy is in force. Blocking. */
    public synchronized boolean reload(String trigger) {
        if (file == null) {
            return false;
        }
        String s = stamp(file);
        try {
            install(AuthPolicy.load(file), s, trigger);
            return true;
        } catch (PolicyException e) {
            stamp = s;
            log.warn("{}: auth policy not reloaded, the previous one stays in force: {}", trigger, e.getMessage());
            return false;
        }
    }

    /** One watcher check: reloads when the file's size or modification time changed. */
    public synchronized boolean checkForChanges() {
        String s = stamp(file);
        if (s.equals(stamp)) {
            return false;
        }
        return reload("auth policy file changed");
    }

    /** Replaces the policy (tests; the file is not written). */
    public synchronized void replace(AuthPolicy p) {
        install(p, stamp, "replaced");
    }

    /** The policy first, then the version: a reader that sees the new version also sees the new policy. */
    private void install(AuthPolicy p, String s, String trigger) {
        policy = p;
        stamp = s;
        version++;
        log.info("{}: auth policy {} reloaded: {} tokens, {} certificate identities", trigger,
                file == null ? "(in memory)" : file, p.tokens().size(), p.certificates().size());
    }

    private void checkQuietly() {
        try {
            checkForChanges();
        } catch (RuntimeException e) {
            log.warn("auth policy check failed: {}", e.toString());
        }
    }

    private static String stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.size() + "/" + a.lastModifiedTime().toMillis() + "/" + a.fileKey();
        } catch (IOException e) {
            return "missing";
        }
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }
}
