package io.logwire.server.auth;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A {@code [[certificate]]} of the policy: client certificates whose subject CN (or one SAN)
 * is {@code subjectCn} (or {@code san}), issued by the CA whose subject is {@code issuer} (or
 * whose certificate has the SHA-256 fingerprint {@code issuerSha256}), get {@code roles}. TLS
 * has already verified the chain against {@code --client-ca}; the issuer pins which of the
 * trusted CAs may vouch for this name.
 *
 * @param san          {@code dns:NAME}, {@code email:ADDRESS}, {@code uri:URI} or {@code ip:ADDRESS}, or null
 * @param issuerSha256 the issuing CA certificate's SHA-256 fingerprint, colon-separated upper-case hex
 *                     (as the server logs fingerprints), or null when {@code issuer} is given
 */
public record CertificateEntry(String name, String subjectCn, String san, X500Principal issuer, String issuerSha256,
                               Set<Role> roles) {
    public CertificateEntry {
        PolicyToml.checkName(name);
        if ((issuer == null) == (issuerSha256 == null)) {
            throw new IllegalArgumentException("certificate '" + name + "': give exactly one of issuer and "
                    + "issuer-sha256");
        }
        if (issuerSha256 != null) {
            String hex = issuerSha256.replace(":", "").trim().toUpperCase(Locale.ROOT);
            if (!hex.matches("[0-9A-F]{64}")) {
                throw new IllegalArgumentException("certificate '" + name + "': issuer-sha256 must be 32 bytes of "
                        + "hex (colons allowed), not '" + issuerSha256 + "'");
            }
            issuerSha256 = hex.replaceAll("(..)(?!$)", "$1:");
        }
        roles = Set.copyOf(roles);
        if ((subjectCn == null) == (san == null)) {
            throw new IllegalArgumentException("certificate '" + name + "': give exactly one of subject-cn and san");
        }
        if (san != null) {
            int colon = san.indexOf(':');
            String type = colon < 0 ? "" : san.substring(0, colon).toLowerCase(Locale.ROOT);
            if (sanType(type) < 0 || colon == san.length() - 1) {
                throw new IllegalArgumentException("certificate '" + name + "': san must be dns:NAME, email:ADDRESS, "
                        + "uri:URI or ip:ADDRESS, not '" + san + "'");
            }
        }
    }

    /** Whether {@code cert} (already verified by TLS) is what this entry names; see {@link #matches(X509Certificate, List)}. */
    public boolean matches(X509Certificate cert) {
        return matches(cert, List.of());
    }

    /**
     * Whether {@code cert} (already verified by TLS) is what this entry names. For
     * {@code issuer-sha256}, the issuing CA is looked for in {@code caCandidates} (the rest of
     * the peer's chain and the {@code --client-ca} certificates): one whose subject is the
     * certificate's issuer and whose key verifies its signature.
     */
    public boolean matches(X509Certificate cert, List<X509Certificate> caCandidates) {
        if (issuer != null ? !issuer.equals(cert.getIssuerX500Principal()) : !issuedByFingerprint(cert, caCandidates)) {
            return false;
        }
        if (subjectCn != null) {
            return subjectCn.equals(commonName(cert.getSubjectX500Principal()));
        }
        int colon = san.indexOf(':');
        int type = sanType(san.substring(0, colon).toLowerCase(Locale.ROOT));
        String value = san.substring(colon + 1);
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return false;
            }
            for (List<?> s : sans) {
                if (s.size() >= 2 && s.get(0) instanceof Integer t && t == type && s.get(1) instanceof String v
                        && (type == 2 || type == 1 ? v.equalsIgnoreCase(value) : v.equals(value))) {
                    return true;
                }
            }
        } catch (CertificateParsingException e) {
            return false;
        }
        return false;
    }

    private boolean issuedByFingerprint(X509Certificate cert, List<X509Certificate> caCandidates) {
        for (X509Certificate ca : caCandidates) {
            if (ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())
                    && issuerSha256.equals(io.logwire.tls.Pem.sha256Fingerprint(ca))) {
                try {
                    cert.verify(ca.getPublicKey());
                    return true;
                } catch (java.security.GeneralSecurityException e) {
                    // Same name and fingerprint but not the signer: keep looking.
                }
            }
        }
        return false;
    }

    /** The subject's (last) CN, or null. */
    static String commonName(X500Principal p) {
        try {
            String cn = null;
            for (Rdn rdn : new LdapName(p.getName(X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = String.valueOf(rdn.getValue());
                }
            }
            return cn;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    /** The GeneralName tag of X509Certificate#getSubjectAlternativeNames for a policy prefix, or -1. */
    private static int sanType(String prefix) {
        switch (prefix) {
            case "email":
                return 1;
            case "dns":
                return 2;
            case "uri":
                return 6;
            case "ip":
                return 7;
            default:
                return -1;
        }
    }
}
