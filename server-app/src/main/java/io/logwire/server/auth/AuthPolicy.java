package io.logwire.server.auth;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An immutable policy: tokens (by salted hash) and certificate identities, each with roles.
 * Thread-safe. Files are read and written by {@link #load} and {@link #write} (blocking: never on
 * an event loop).
 */
public final class AuthPolicy {
    public static final AuthPolicy EMPTY = new AuthPolicy(List.of(), List.of());

    private final List<TokenEntry> tokens;
    private final List<CertificateEntry> certificates;

    AuthPolicy(List<TokenEntry> tokens, List<CertificateEntry> certificates) {
        this.tokens = List.copyOf(tokens);
        this.certificates = List.copyOf(certificates);
        Set<String> names = new HashSet<>();
        for (TokenEntry t : tokens) {
            if (!names.add("token:" + t.name())) {
                throw new IllegalArgumentException("two tokens named '" + t.name() + "'");
            }
        }
        for (CertificateEntry c : certificates) {
            if (!names.add("cert:" + c.name())) {
                throw new IllegalArgumentException("two certificates named '" + c.name() + "'");
            }
        }
    }

    public List<TokenEntry> tokens() {
        return tokens;
    }

    public List<CertificateEntry> certificates() {
        return certificates;
    }

    /** Reads a policy file; a missing file is an error (a typo in the path must not mean "nobody"). */
    public static AuthPolicy load(Path file) throws PolicyException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new PolicyException("policy file " + file + " does not exist ('logwire-server token create "
                    + "--policy " + file + "' creates it)");
        } catch (CharacterCodingException e) {
            throw new PolicyException("policy file " + file + " is not UTF-8");
        } catch (IOException e) {
            throw new PolicyException("cannot read policy file " + file + ": " + e.getMessage(), e);
        }
        return PolicyToml.parse(text, file.toString());
    }

    /** Parses policy text ({@code where} names it in errors). */
    public static AuthPolicy parse(String text, String where) throws PolicyException {
        return PolicyToml.parse(text, where);
    }

    /** The policy as TOML text. */
    public String toToml() {
        return PolicyToml.write(this);
    }

    /**
     * Writes the policy to {@code file} atomically (a temporary file with mode 0600 where the
     * file system has POSIX permissions, then a rename), so the server never reads half a file.
     */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: the directory's permissions protect it.
            }
            Files.writeString(tmp, toToml(), StandardCharsets.UTF_8);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** This policy with {@code entry} added. */
    public AuthPolicy withToken(TokenEntry entry) {
        List<TokenEntry> t = new ArrayList<>(tokens);
        t.add(entry);
        return new AuthPolicy(t, certificates);
    }

    /** This policy without the token {@code name}, or null if it has no such token. */
    public AuthPolicy withoutToken(String name) {
        List<TokenEntry> t = new ArrayList<>(tokens);
        return t.removeIf(e -> e.name().equals(name)) ? new AuthPolicy(t, certificates) : null;
    }

    /**
     * The identity of {@code token}, or null. Hashes the token with every entry's salt and
     * compares every hash in constant time, without stopping at a match, so the time taken
     * says nothing about which entry (if any) matched.
     */
    public Identity authenticate(String token) {
        if (token.length() > TokenHashing.MAX_TOKEN_CHARS) {
            return null;
        }
        TokenEntry found = null;
        for (TokenEntry t : tokens) {
            if (TokenHashing.matches(t.saltRef(), t.hashRef(), token) && found == null) {
                found = t;
            }
        }
        return found == null ? null : new Identity("token:" + found.name(), found.roles(), found);
    }

    /** The identity of a verified client certificate: the first matching entry, or null. */
    public Identity identify(X509Certificate cert) {
        return identify(cert, List.of());
    }

    /**
     * The identity of a verified client certificate, {@code caCandidates} being the certificates
     * that may have issued it (for {@code issuer-sha256}): the first matching entry, or null.
     */
    public Identity identify(X509Certificate cert, List<X509Certificate> caCandidates) {
        for (CertificateEntry c : certificates) {
            if (c.matches(cert, caCandidates)) {
                return new Identity("cert:" + c.name(), c.roles(), c);
            }
        }
        return null;
    }

    /**
     * {@code identity} as this policy sees it: a token identity keeps its name while its entry
     * (same name, salt and hash) is still here, with the entry's roles now; null once revoked.
     * Certificate identities are re-matched by {@link ConnectionAuth} from the certificate.
     */
    Identity recheckToken(Identity identity) {
        if (identity.policyEntry() instanceof TokenEntry old) {
            for (TokenEntry t : tokens) {
                if (t.sameSecret(old)) {
                    return new Identity(identity.name(), t.roles(), t);
                }
            }
        }
        return null;
    }
}
