package io.logwire.client;

import java.util.Objects;

/**
 * A bearer token for AUTH (PROTOCOL.md 6.8). Its {@link #toString()} never shows the secret,
 * so a logged {@link ClientConfig} does not leak it.
 */
public record BearerToken(String value) {
    public BearerToken {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("the token is empty");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isWhitespace(value.charAt(i)) || Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException("the token contains white space or control characters "
                        + "(a token file holds the token alone, on one line)");
            }
        }
    }

    @Override
    public String toString() {
        return "BearerToken[<redacted>]";
    }
}
