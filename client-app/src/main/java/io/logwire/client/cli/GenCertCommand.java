package io.logwire.client.cli;

import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code logwire gen-cert}: TLS material as PEM (Bouncy Castle), the tutorial's openssl steps:
 * a self-signed server certificate, or a local CA with a server and a client certificate signed
 * by it for mutual TLS. Private keys are written 0600.
 */
@Command(name = "gen-cert", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"Write TLS certificates and keys as PEM files (EC P-256; keys readable by their owner only).",
                "Without --ca: a self-signed server certificate, server.crt and server.key.",
                "With --ca: a local CA (ca.crt, ca.key), a server certificate signed by it (server.crt, server.key) "
                        + "and a client certificate for mutual TLS (client.crt, client.key)."})
final class GenCertCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write to (created if needed).")
    Path out;

    @Option(names = "--ca", description = "Make a local CA and sign a server and a client certificate with it.")
    boolean ca;

    @Option(names = "--san", split = ",", paramLabel = "NAME",
            description = "Extra DNS name or IP address for the server certificate (repeatable or comma-separated); "
                    + "localhost, 127.0.0.1, ::1 and this host's name are always included.")
    List<String> sans = new ArrayList<>();

    @Option(names = "--cn", defaultValue = "logwire server", paramLabel = "NAME",
            description = "Common name of the server certificate.")
    String commonName;

    @Option(names = "--client-cn", defaultValue = "logwire client", paramLabel = "NAME",
            description = "Common name of the client certificate (--ca); the server sees it as the client's identity.")
    String clientCommonName;

    @Option(names = "--days", defaultValue = "825", paramLabel = "N", description = "Validity in days.")
    int days;

    @Option(names = "--force", description = "Overwrite existing files.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (days < 1) {
            throw new IllegalArgumentException("--days must be positive");
        }
        Duration validity = Duration.ofDays(days);
        List<String> names = CertificateGenerator.defaultServerNames(sans);
        List<String> files = ca ? List.of("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key")
                : List.of("server.crt", "server.key");
        if (!force) {
            for (String f : files) {
                if (Files.exists(out.resolve(f))) {
                    throw new IllegalArgumentException(out.resolve(f) + " exists; use --force to overwrite it");
                }
            }
        }
        Files.createDirectories(out);
        Path serverCrt = out.resolve("server.crt");
        Path serverKey = out.resolve("server.key");
        if (!ca) {
            CertificateGenerator.Issued server = CertificateGenerator.selfSignedServer(commonName, names, validity);
            write(server, serverCrt, serverKey);
            main.out.println("wrote " + serverCrt + " and " + serverKey + " (self-signed, valid " + days + " days, for "
                    + String.join(", ", names) + ")");
            main.out.println("SHA-256 fingerprint " + Pem.sha256Fingerprint(server.certificate()));
            main.out.println("server: bin/logwire-server --tls-cert " + serverCrt + " --tls-key " + serverKey);
            main.out.println("client: bin/logwire --ca " + serverCrt + " ping");
            return ExitCodes.OK;
        }
        CertificateGenerator.Issued authority = CertificateGenerator.certificateAuthority("logwire local CA", validity);
        CertificateGenerator.Issued server = CertificateGenerator.signedServer(authority, commonName, names, validity);
        CertificateGenerator.Issued client = CertificateGenerator.signedClient(authority, clientCommonName, validity);
        Path caCrt = out.resolve("ca.crt");
        Path clientCrt = out.resolve("client.crt");
        Path clientKey = out.resolve("client.key");
        write(authority, caCrt, out.resolve("ca.key"));
        write(server, serverCrt, serverKey);
        write(client, clientCrt, clientKey);
        main.out.println("wrote a local CA (" + caCrt + ", " + out.resolve("ca.key") + "), a server certificate for "
                + String.join(", ", names) + " (" + serverCrt + ", " + serverKey + ") and a client certificate '"
                + clientCommonName + "' (" + clientCrt + ", " + clientKey + "), valid " + days + " days");
        main.out.println("keep ca.key secret (or delete it once you have issued what you need)");
        main.out.println("server: bin/logwire-server --tls-cert " + serverCrt + " --tls-key " + serverKey
                + " --client-ca " + caCrt);
        main.out.println("client: bin/logwire --ca " + caCrt + " --cert " + clientCrt + " --key " + clientKey + " ping");
        return ExitCodes.OK;
    }

    private static void write(CertificateGenerator.Issued issued, Path crt, Path key) throws IOException {
        Pem.writePrivateKey(key, issued.privateKey());
        Pem.writeCertificates(crt, List.of(issued.certificate()));
    }
}
