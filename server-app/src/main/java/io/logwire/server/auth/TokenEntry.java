package io.logwire.server.auth;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/** A {@code [[token]]} of the policy: a name, roles, and the salted hash of the token (never the token). */
public record TokenEntry(String name, Set<Role> roles, byte[] salt, byte[] sha256, Instant created) {
    public TokenEntry {
        PolicyToml.checkName(name);
        roles = Set.copyOf(roles);
        salt = salt.clone();
        sha256 = sha256.clone();
        if (salt.length < 8 || sha256.length != 32) {
            throw new IllegalArgumentException("token '" + name + "': salt must be at least 8 bytes and sha256 "
                    + "exactly 32");
        }
        Objects.requireNonNull(created, "created");
    }

    /** Whether {@code other} is this same token (a re-read policy), so an authenticated connection keeps it. */
    boolean sameSecret(TokenEntry other) {
        return name.equals(other.name) && Arrays.equals(salt, other.salt) && Arrays.equals(sha256, other.sha256);
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    byte[] saltRef() {
        return salt;
    }

    byte[] hashRef() {
        return sha256;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenEntry t && sameSecret(t) && roles.equals(t.roles) && created.equals(t.created);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "TokenEntry[name=" + name + ", roles=" + roles + ", created=" + created + "]";
    }
}
