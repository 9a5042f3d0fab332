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
 * is {@code subjectCn} (or {@code san}), issued by the CA whose subject is {@code issuer}, get
 * {@code roles}. TLS has already verified the chain against {@code --client-ca}; the issuer
 * pins which of the trusted CAs may vouch for this name.
 *
 * @param san {@code dns:NAME}, {@code email:ADDRESS}, {@code uri:URI} or {@code ip:ADDRESS}, or null
 */
public record CertificateEntry(String name, String subjectCn, String san, X500Principal issuer, Set<Role> roles) {
    public CertificateEntry {
        PolicyToml.checkName(name);
        Objects.requireNonNull(issuer, "issuer");
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

    /** Whether {@code cert} (already verified by TLS) is what this entry names. */
    public boolean matches(X509Certificate cert) {
        if (!issuer.equals(cert.getIssuerX500Principal())) {
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
