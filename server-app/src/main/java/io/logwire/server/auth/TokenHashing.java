package io.logwire.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Bearer tokens and their stored form. A token is {@code lwt_} and 32 random bytes (256 bits,
 * base64url); the policy keeps only a 16-byte random salt and SHA-256(salt || token).
 *
 * <p>Why a fast salted hash rather than PBKDF2/scrypt/Argon2: those slow hashes protect
 * guessable secrets (passwords). A 256-bit random token cannot be guessed however fast the
 * hash, so stretching adds nothing against a stolen policy file, while it would make every AUTH
 * cost milliseconds of CPU, a gift to anyone flooding the server with AUTH. The salt keeps
 * equal tokens from having equal hashes. Comparison is {@link MessageDigest#isEqual}, which is
 * constant-time for equal-length inputs (all hashes are 32 bytes).
 */
public final class TokenHashing {
    /** Every token starts with this, so that a leaked one is easy to recognise (secret scanners). */
    public static final String PREFIX = "lwt_";
    public static final int TOKEN_BYTES = 32;
    public static final int SALT_BYTES = 16;
    /** Longer AUTH bodies are refused without hashing: no token we issue is near this long. */
    public static final int MAX_TOKEN_CHARS = 1024;

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Hashes computed, so a test can check AUTH hashes every entry whatever matches. */
    static final java.util.concurrent.atomic.LongAdder HASHES = new java.util.concurrent.atomic.LongAdder();

    private TokenHashing() {
    }

    /** A new random token. */
    public static String newToken() {
        byte[] b = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A new random salt. */
    public static byte[] newSalt() {
        byte[] b = new byte[SALT_BYTES];
        RANDOM.nextBytes(b);
        return b;
    }

    /** SHA-256(salt || UTF-8 token). */
    public static byte[] hash(byte[] salt, String token) {
        HASHES.increment();
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(salt);
            md.update(token.getBytes(StandardCharsets.UTF_8));
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Whether {@code token} hashes to {@code expected} under {@code salt}; constant-time in the hash. */
    public static boolean matches(byte[] salt, byte[] expected, String token) {
        return MessageDigest.isEqual(hash(salt, token), expected);
    }
}
