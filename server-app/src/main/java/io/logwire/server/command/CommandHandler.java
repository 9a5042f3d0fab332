package io.logwire.server.command;

import io.logwire.protocol.message.Request;

/**
 * Serves one opcode. Called on the connection's event loop; must not block (hand disk and
 * scans to other threads). Owns {@code request}: releases it, or passes it on, exactly once.
 * Answers through {@code exchange}, exactly one final reply or error.
 */
@FunctionalInterface
public interface CommandHandler {
    void handle(Request request, Exchange exchange);
}
