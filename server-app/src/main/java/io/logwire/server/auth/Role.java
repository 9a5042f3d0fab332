package io.logwire.server.auth;

import io.logwire.protocol.message.Opcode;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The roles of PROTOCOL.md 6.8 and the opcodes each one allows. */
public enum Role {
    /** UPLOAD, UPLOAD_ONCE. */
    INGEST,
    /** QUERY, SEARCH, QUERY_FROM, TAIL, AGGREGATE. */
    QUERY,
    /** STATS. */
    ADMIN;

    /** Every role: what a server without {@code --require-auth} grants. */
    public static final Set<Role> ALL = Set.copyOf(EnumSet.allOf(Role.class));

    /**
     * The role {@code op} needs, or null when it needs none (ECHO, DOUBLE, NEGATE, HELLO, AUTH,
     * CANCEL). A switch without default so that a new opcode does not compile until it is placed.
     */
    public static Role requiredFor(Opcode op) {
        switch (op) {
            case UPLOAD:
            case UPLOAD_ONCE:
                return INGEST;
            case QUERY:
            case SEARCH:
            case QUERY_FROM:
            case TAIL:
            case AGGREGATE:
                return QUERY;
            case STATS:
                return ADMIN;
            case ECHO:
            case DOUBLE:
            case NEGATE:
            case HELLO:
            case AUTH:
            case CANCEL:
                return null;
        }
        throw new AssertionError("opcode without a role decision: " + op);
    }

    /** The name used in the policy file and in AUTH_OK: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a role name as the policy file and the token command write it. */
    public static Role parse(String s) {
        for (Role r : values()) {
            if (r.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + s + "' (ingest, query or admin)");
    }
}
