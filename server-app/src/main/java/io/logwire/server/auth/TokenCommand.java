package io.logwire.server.auth;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code logwire-server token create|revoke|list}: edits the policy file. A running server
 * picks the change up by itself (file watch) or on SIGHUP. The token is printed once, by
 * {@code create}, and stored only as a salted hash.
 */
@Command(name = "token", sortOptions = false, usageHelpWidth = 110,
        description = {"Manage bearer tokens in an auth policy file (docs/security.md). A running server picks "
                + "changes up without a restart."},
        subcommands = {TokenCommand.Create.class, TokenCommand.Revoke.class, TokenCommand.ListTokens.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:invalid options, or the policy file is invalid",
                "2:the policy file cannot be written"})
public final class TokenCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 1;
    }

    /** The policy in {@code file}, or an empty one if the file does not exist yet. */
    static AuthPolicy read(Path file, boolean mayBeMissing) throws PolicyException {
        if (mayBeMissing && !Files.exists(file)) {
            return AuthPolicy.EMPTY;
        }
        return AuthPolicy.load(file);
    }

    @Command(name = "create", sortOptions = false, usageHelpWidth = 110,
            description = {"Create a token with the given roles, add its salted hash to the policy file (created "
                    + "if missing, mode 0600) and print the token once on standard output: store it now, it "
                    + "cannot be shown again."})
    static final class Create implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Option(names = "--name", required = true, description = "A unique name for the token (letters, digits, "
                + ". _ @ -); it is the identity in logs: 'token:NAME'.")
        String name;

        @Option(names = "--roles", required = true, split = ",",
                description = "Comma-separated roles: ingest, query, admin.")
        List<String> roles;

        @Option(names = "--policy", required = true, paramLabel = "FILE", description = "The policy file.")
        Path policy;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            Set<Role> set = EnumSet.noneOf(Role.class);
            AuthPolicy p;
            TokenEntry entry;
            String token = TokenHashing.newToken();
            try {
                for (String r : roles) {
                    set.add(Role.parse(r));
                }
                p = read(policy, true);
                byte[] salt = TokenHashing.newSalt();
                entry = new TokenEntry(name, set, salt, TokenHashing.hash(salt, token),
                        Instant.now().truncatedTo(ChronoUnit.SECONDS));
                for (TokenEntry t : p.tokens()) {
                    if (t.name().equals(name)) {
                        throw new IllegalArgumentException("the policy already has a token named '" + name
                                + "' (revoke it first)");
                    }
                }
                p = p.withToken(entry);
            } catch (IllegalArgumentException | PolicyException e) {
                err.println("logwire-server token create: " + e.getMessage());
                return 1;
            }
            try {
                p.write(policy);
            } catch (IOException e) {
                err.println("logwire-server token create: cannot write " + policy + ": " + e.getMessage());
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(token);
            out.flush();
            err.println("token '" + name + "' created with roles " + labels(set) + " in " + policy
                    + "; the line above is the token: it is not stored and cannot be shown again");
            err.flush();
            return 0;
        }
    }

    @Command(name = "revoke", sortOptions = false, usageHelpWidth = 110,
            description = {"Remove a token from the policy file. A running server refuses it from then on, also on "
                    + "connections that authenticated with it (at their next request)."})
    static final class Revoke implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Option(names = "--name", required = true, description = "The token's name.")
        String name;

        @Option(names = "--policy", required = true, paramLabel = "FILE", description = "The policy file.")
        Path policy;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            AuthPolicy p;
            try {
                p = read(policy, false).withoutToken(name);
            } catch (PolicyException e) {
                err.println("logwire-server token revoke: " + e.getMessage());
                return 1;
            }
            if (p == null) {
                err.println("logwire-server token revoke: " + policy + " has no token named '" + name + "'");
                return 1;
            }
            try {
                p.write(policy);
            } catch (IOException e) {
                err.println("logwire-server token revoke: cannot write " + policy + ": " + e.getMessage());
                return 2;
            }
            err.println("token '" + name + "' revoked in " + policy);
            return 0;
        }
    }

    @Command(name = "list", sortOptions = false, usageHelpWidth = 110,
            description = {"List the tokens and certificate identities of a policy file: names, roles, creation "
                    + "times; never secrets or hashes."})
    static final class ListTokens implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Option(names = "--policy", required = true, paramLabel = "FILE", description = "The policy file.")
        Path policy;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            AuthPolicy p;
            try {
                p = read(policy, false);
            } catch (PolicyException e) {
                spec.commandLine().getErr().println("logwire-server token list: " + e.getMessage());
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            for (TokenEntry t : p.tokens()) {
                out.printf("token        %-24s %-20s created %s%n", t.name(), labels(t.roles()), t.created());
            }
            for (CertificateEntry c : p.certificates()) {
                out.printf("certificate  %-24s %-20s %s issued by %s%n", c.name(), labels(c.roles()),
                        c.subjectCn() != null ? "CN=" + c.subjectCn() : "SAN " + c.san(),
                        c.issuer() != null ? c.issuer().getName() : "the CA with SHA-256 " + c.issuerSha256());
            }
            out.flush();
            return 0;
        }
    }

    static String labels(Set<Role> roles) {
        StringBuilder sb = new StringBuilder();
        for (Role r : Role.values()) {
            if (roles.contains(r)) {
                sb.append(sb.length() == 0 ? "" : ",").append(r.label());
            }
        }
        return sb.length() == 0 ? "(none)" : sb.toString();
    }
}
