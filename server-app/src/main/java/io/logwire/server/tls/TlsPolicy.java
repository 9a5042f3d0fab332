package io.logwire.server.tls;

import java.util.List;

/**
 * How strict the server's TLS is (docs/security.md "TLS"): TLS 1.3 only or 1.3 and 1.2, the
 * TLS 1.2 cipher suites (ECDHE key exchange with AEAD ciphers only, {@link #CIPHERS}), and
 * whether a private key file readable by group or others is refused.
 *
 * @param tls13Only        accept TLS 1.3 only
 * @param allowReadableKey start (with a warning) even if the key file is readable by group/others
 */
public record TlsPolicy(boolean tls13Only, boolean allowReadableKey) {
    /** The default: TLS 1.3 and 1.2 with {@link #CIPHERS}, readable keys refused. */
    public static final TlsPolicy DEFAULT = new TlsPolicy(false, false);

    /** The TLS 1.3 suites (all AEAD); always allowed. */
    public static final List<String> TLS13_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    /** The TLS 1.2 suites allowed: forward secrecy (ECDHE) and an AEAD cipher, nothing else. */
    public static final List<String> TLS12_CIPHERS = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** Everything the server offers, in preference order (suites the provider lacks are dropped). */
    public static final List<String> CIPHERS = concat(TLS13_CIPHERS, TLS12_CIPHERS);

    /** The protocol versions to enable. */
    public String[] protocols() {
        return tls13Only ? new String[] {"TLSv1.3"} : ServerTls.PROTOCOLS.clone();
    }

    /** The cipher suites to enable. */
    public List<String> ciphers() {
        return tls13Only ? TLS13_CIPHERS : CIPHERS;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
