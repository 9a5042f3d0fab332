package io.logwire.bench;

import io.logwire.client.ClientConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** The connection options, named as in the {@code logwire} CLI. */
final class ConnectOptions {
    @Option(names = "--host", paramLabel = "HOST", defaultValue = "${env:LOGWIRE_HOST:-127.0.0.1}",
            description = "Server host (env LOGWIRE_HOST).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:LOGWIRE_PORT:-" + ClientConfig.DEFAULT_PORT + "}",
            description = "Server port (env LOGWIRE_PORT).")
    int port;

    @Option(names = "--ca", paramLabel = "FILE", defaultValue = "${env:LOGWIRE_CA}",
            description = "PEM certificate (CA or the server's self-signed one) to trust (env LOGWIRE_CA).")
    Path ca;

    @Option(names = "--insecure", defaultValue = "${env:LOGWIRE_INSECURE:-false}",
            description = "Accept any server certificate: testing only (env LOGWIRE_INSECURE).")
    boolean insecure;

    @Option(names = "--plaintext", defaultValue = "${env:LOGWIRE_PLAINTEXT:-false}",
            description = "No TLS, for a server started with --plaintext (env LOGWIRE_PLAINTEXT).")
    boolean plaintext;

    @Option(names = "--server-name", paramLabel = "NAME",
            description = "Name expected in the server certificate; default: --host.")
    String serverName;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Seconds allowed to connect and for each reply.")
    int timeoutSeconds;

    ClientConfig.Builder builder() {
        return ClientConfig.builder().host(host).port(port).caFile(ca).insecure(insecure).plaintext(plaintext)
                .serverName(serverName).timeout(Duration.ofSeconds(timeoutSeconds)).clientName("logwire-bench");
    }

    String describe() {
        return host + ":" + port + (plaintext ? " plaintext" : " TLS");
    }
}
