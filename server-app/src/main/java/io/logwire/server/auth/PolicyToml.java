package io.logwire.server.auth;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

import javax.security.auth.x500.X500Principal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and writes the policy file: TOML, like the server's configuration file, so operators
 * use one format and one parser (Jackson's, already a dependency). Layout:
 * <pre>
 * [[token]]
 * name = "shipper-1"
 * roles = ["ingest"]
 * salt = "base64"          # 16 random bytes
 * sha256 = "base64"        # SHA-256(salt || token)
 * created = "2026-12-05T08:00:00Z"
 *
 * [[certificate]]
 * name = "query-ui"
 * subject-cn = "query-ui"  # or: san = "dns:query-ui.example.com"
 * issuer = "CN=logwire client CA"  # or: issuer-sha256 = "AB:CD:..." (the CA certificate's fingerprint)
 * roles = ["query", "admin"]
 * </pre>
 * Unknown keys are errors (a typo must not silently grant or drop access).
 */
final class PolicyToml {
    private static final TomlMapper TOML = new TomlMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
    private static final Set<String> TOKEN_KEYS = Set.of("name", "roles", "salt", "sha256", "created");
    private static final Set<String> CERT_KEYS = Set.of("name", "roles", "subject-cn", "san", "issuer", "issuer-sha256");

    private PolicyToml() {
    }

    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a name is 1-128 characters of letters, digits and . _ @ -, "
                    + "starting with a letter or digit: '" + name + "'");
        }
    }

    static AuthPolicy parse(String text, String where) throws PolicyException {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JacksonException e) {
            throw new PolicyException(where + ": not valid TOML: " + e.getOriginalMessage());
        }
        List<TokenEntry> tokens = new ArrayList<>();
        List<CertificateEntry> certs = new ArrayList<>();
        if (root != null) {
            Iterator<String> keys = root.fieldNames();
            while (keys.hasNext()) {
                String k = keys.next();
                if (!k.equals("token") && !k.equals("certificate")) {
                    throw new PolicyException(where + ": unknown key '" + k + "' (a policy has [[token]] and "
                            + "[[certificate]] tables)");
                }
            }
            int i = 0;
            for (JsonNode t : tables(root, "token", where)) {
                String at = where + ": [[token]] #" + ++i;
                checkKeys(t, TOKEN_KEYS, at);
                try {
                    tokens.add(new TokenEntry(text(t, "name", at), roles(t, at),
                            Base64.getDecoder().decode(text(t, "salt", at)),
                            Base64.getDecoder().decode(text(t, "sha256", at)),
                            Instant.parse(text(t, "created", at))));
                } catch (IllegalArgumentException | DateTimeParseException e) {
                    throw new PolicyException(at + ": " + e.getMessage());
                }
            }
            i = 0;
            for (JsonNode c : tables(root, "certificate", where)) {
                String at = where + ": [[certificate]] #" + ++i;
                checkKeys(c, CERT_KEYS, at);
                try {
                    String issuer = optional(c, "issuer", at);
                    certs.add(new CertificateEntry(text(c, "name", at), optional(c, "subject-cn", at),
                            optional(c, "san", at), issuer == null ? null : new X500Principal(issuer),
                            optional(c, "issuer-sha256", at), roles(c, at)));
                } catch (IllegalArgumentException e) {
                    throw new PolicyException(at + ": " + e.getMessage());
                }
            }
        }
        try {
            return new AuthPolicy(tokens, certs);
        } catch (IllegalArgumentException e) {
            throw new PolicyException(where + ": " + e.getMessage());
        }
    }

    private static List<JsonNode> tables(JsonNode root, String key, String where) throws PolicyException {
        JsonNode n = root.get(key);
        List<JsonNode> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (!n.isArray()) {
            throw new PolicyException(where + ": '" + key + "' must be an array of tables ([[" + key + "]])");
        }
        for (JsonNode e : n) {
            if (!e.isObject()) {
                throw new PolicyException(where + ": '" + key + "' must be an array of tables ([[" + key + "]])");
            }
            out.add(e);
        }
        return out;
    }

    private static void checkKeys(JsonNode n, Set<String> allowed, String at) throws PolicyException {
        Iterator<String> keys = n.fieldNames();
        while (keys.hasNext()) {
            String k = keys.next();
            if (!allowed.contains(k)) {
                throw new PolicyException(at + ": unknown key '" + k + "' (allowed: " + String.join(", ",
                        new java.util.TreeSet<>(allowed)) + ")");
            }
        }
    }

    private static String text(JsonNode n, String key, String at) throws PolicyException {
        String v = optional(n, key, at);
        if (v == null) {
            throw new PolicyException(at + ": '" + key + "' is missing");
        }
        return v;
    }

    private static String optional(JsonNode n, String key, String at) throws PolicyException {
        JsonNode v = n.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw new PolicyException(at + ": '" + key + "' must be a string");
        }
        return v.asText();
    }

    private static Set<Role> roles(JsonNode n, String at) throws PolicyException {
        JsonNode v = n.get("roles");
        if (v == null || !v.isArray()) {
            throw new PolicyException(at + ": 'roles' must be an array of role names (ingest, query, admin)");
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (JsonNode r : v) {
            if (!r.isTextual()) {
                throw new PolicyException(at + ": 'roles' must be an array of role names (ingest, query, admin)");
            }
            roles.add(Role.parse(r.asText()));
        }
        return roles;
    }

    static String write(AuthPolicy policy) {
        StringBuilder sb = new StringBuilder();
        sb.append("# logwire authentication policy (docs/security.md). Tokens are stored as salted SHA-256 hashes;\n")
                .append("# 'logwire-server token create|revoke' rewrite this file (comments are not kept).\n");
        for (TokenEntry t : policy.tokens()) {
            sb.append("\n[[token]]\nname = ");
            quote(sb, t.name());
            sb.append("\nroles = ");
            roles(sb, t.roles());
            sb.append("\nsalt = \"").append(Base64.getEncoder().encodeToString(t.saltRef()))
                    .append("\"\nsha256 = \"").append(Base64.getEncoder().encodeToString(t.hashRef()))
                    .append("\"\ncreated = \"").append(t.created()).append("\"\n");
        }
        for (CertificateEntry c : policy.certificates()) {
            sb.append("\n[[certificate]]\nname = ");
            quote(sb, c.name());
            if (c.subjectCn() != null) {
                sb.append("\nsubject-cn = ");
                quote(sb, c.subjectCn());
            } else {
                sb.append("\nsan = ");
                quote(sb, c.san());
            }
            if (c.issuer() != null) {
                sb.append("\nissuer = ");
                quote(sb, c.issuer().getName(X500Principal.RFC2253));
            } else {
                sb.append("\nissuer-sha256 = ");
                quote(sb, c.issuerSha256());
            }
            sb.append("\nroles = ");
            roles(sb, c.roles());
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void roles(StringBuilder sb, Set<Role> roles) {
        sb.append('[');
        boolean first = true;
        for (Role r : Role.values()) {
            if (roles.contains(r)) {
                sb.append(first ? "" : ", ").append('"').append(r.label()).append('"');
                first = false;
            }
        }
        sb.append(']');
    }

    /** Appends {@code s} as a quoted string valid in both TOML and JSON. */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }
}
