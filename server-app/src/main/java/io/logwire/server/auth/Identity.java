package io.logwire.server.auth;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Who a connection is, and what it may do. {@code name} is {@code token:NAME},
 * {@code cert:NAME} (the policy entry's name) or {@code anonymous}; it never contains a secret.
 *
 * @param policyEntry the policy entry this identity came from (null for anonymous), so that a
 *                    changed policy can re-check it
 */
public record Identity(String name, Set<Role> roles, Object policyEntry) {
    /** What every connection is on a server without {@code --require-auth}. */
    public static final Identity ANONYMOUS = new Identity("anonymous", Role.ALL, null);

    public Identity {
        Objects.requireNonNull(name, "name");
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    }

    /** The AUTH_OK body: {@code {"identity": "...", "roles": [...]}}, roles in a fixed order. */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"identity\":");
        PolicyToml.quote(sb, name);
        sb.append(",\"roles\":[");
        boolean first = true;
        for (Role r : Role.values()) {
            if (roles.contains(r)) {
                sb.append(first ? "" : ",").append('"').append(r.label()).append('"');
                first = false;
            }
        }
        return sb.append("]}").toString();
    }
}
