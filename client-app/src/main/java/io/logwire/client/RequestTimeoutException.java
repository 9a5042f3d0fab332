package io.logwire.client;

import java.time.Duration;

/**
 * A request got no (further) reply within its timeout. Only that request fails: its stream id
 * stays reserved until the late reply arrives or the connection closes, and the late reply is
 * dropped.
 */
public final class RequestTimeoutException extends LogwireException {
    private final Duration timeout;

    public RequestTimeoutException(String what, Duration timeout) {
        super(what + " timed out after " + ClientConfig.format(timeout)
                + " without a reply from the server (raise --timeout, or check the server's load)");
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
