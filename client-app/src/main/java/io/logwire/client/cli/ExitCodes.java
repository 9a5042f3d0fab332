package io.logwire.client.cli;

import io.logwire.client.ConfigurationException;
import io.logwire.client.ConnectionException;
import io.logwire.client.LogwireException;
import io.logwire.client.RequestTimeoutException;
import io.logwire.client.ServerErrorException;
import io.logwire.client.io.InputFormatException;

/** The CLI's exit codes, shown by {@code --help} and documented in docs/client.md. */
public final class ExitCodes {
    public static final int OK = 0;
    /** Bad options or arguments, unreadable or malformed input files, bad local set-up. */
    public static final int USAGE = 1;
    /** Could not connect, TLS failed, the connection was lost, or a request timed out. */
    public static final int CONNECTION = 2;
    /** The server answered with an ERROR, or speaks a protocol version without the request. */
    public static final int SERVER_ERROR = 3;
    /** The server refused the bearer token (--token-file, LOGWIRE_TOKEN). */
    public static final int AUTH_REFUSED = 4;

    private ExitCodes() {
    }

    /** The exit code for a failure. */
    public static int of(Throwable t) {
        if (t instanceof ConnectionException c && c.reason() == ConnectionException.Reason.AUTH_REFUSED) {
            return AUTH_REFUSED;
        }
        if (t instanceof ServerErrorException || t instanceof UnsupportedOperationException) {
            // UnsupportedOperationException: the server is too old for the request (protocol version 1).
            return SERVER_ERROR;
        }
        if (t instanceof ConfigurationException || t instanceof InputFormatException
                || t instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (t instanceof ConnectionException || t instanceof RequestTimeoutException || t instanceof LogwireException) {
            return CONNECTION;
        }
        return USAGE;
    }
}
