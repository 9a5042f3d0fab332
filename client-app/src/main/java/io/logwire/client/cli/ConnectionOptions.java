package io.logwire.client.cli;

import io.logwire.client.BearerToken;
import io.logwire.client.ClientConfig;
import io.logwire.client.ConfigurationException;
import io.logwire.protocol.compress.CompressionCodec;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The connection options, each also an environment variable. Mixed into the top command and
 * into every command that connects, so they may come before or after the command name; a
 * value given after it wins.
 */
final class ConnectionOptions {
    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "${env:LOGWIRE_HOST:-" + ClientConfig.DEFAULT_HOST + "}",
            description = "Server host (env LOGWIRE_HOST).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:LOGWIRE_PORT:-" + ClientConfig.DEFAULT_PORT + "}",
            description = "Server port (env LOGWIRE_PORT).")
    int port;

    @Option(names = "--ca", paramLabel = "FILE", defaultValue = "${env:LOGWIRE_CA}",
            description = "PEM file of the CA (or self-signed server certificate) to trust instead of the system "
                    + "trust store (env LOGWIRE_CA).")
    Path ca;

    @Option(names = "--insecure", defaultValue = "${env:LOGWIRE_INSECURE:-false}",
            description = "Accept ANY server certificate, skip hostname verification: testing only (env LOGWIRE_INSECURE).")
    boolean insecure;

    @Option(names = "--cert", paramLabel = "FILE", defaultValue = "${env:LOGWIRE_CERT}",
            description = "PEM client certificate for mutual TLS (env LOGWIRE_CERT).")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", defaultValue = "${env:LOGWIRE_KEY}",
            description = "PEM private key of --cert (env LOGWIRE_KEY).")
    Path key;

    @Option(names = "--plaintext", defaultValue = "${env:LOGWIRE_PLAINTEXT:-false}",
            description = "Connect WITHOUT TLS, to a server started with --plaintext (env LOGWIRE_PLAINTEXT).")
    boolean plaintext;

    @Option(names = "--server-name", paramLabel = "NAME", defaultValue = "${env:LOGWIRE_SERVER_NAME}",
            description = "Name expected in the server certificate and sent as SNI; default: --host (env LOGWIRE_SERVER_NAME).")
    String serverName;

    @Option(names = "--timeout", converter = DurationConverter.class, defaultValue = "${env:LOGWIRE_TIMEOUT:-30s}",
            paramLabel = "DURATION",
            description = "Time allowed to connect and for each reply: 500ms, 30s, 5m; 0 = none (env LOGWIRE_TIMEOUT).")
    Duration timeout;

    @Option(names = "--token-file", paramLabel = "FILE", defaultValue = "${env:LOGWIRE_TOKEN_FILE}",
            description = "File holding the bearer token to send in AUTH after HELLO (made by 'logwire-server token "
                    + "create'); env LOGWIRE_TOKEN may hold the token itself (env LOGWIRE_TOKEN_FILE).")
    Path tokenFile;

    @Option(names = "--compress", paramLabel = "lz4|zstd|none", defaultValue = "${env:LOGWIRE_COMPRESS:-none}",
            description = "Compression (protocol version 2): large uploads are sent compressed with this codec if the "
                    + "server accepts it, and the server may compress large replies with it (env LOGWIRE_COMPRESS).")
    String compress;

    /** The codec --compress names, or null for none. */
    static CompressionCodec codec(String name) {
        if (name == null || name.isBlank() || name.trim().equalsIgnoreCase("none")) {
            return null;
        }
        try {
            return CompressionCodec.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--compress takes lz4, zstd or none, not '" + name + "'");
        }
    }

    private boolean given(String name) {
        if (mixee == null) {
            return false;
        }
        CommandLine.ParseResult r = mixee.commandLine() == null ? null : mixee.commandLine().getParseResult();
        return r != null && r.hasMatchedOption(name);
    }

    /**
     * The configuration these options describe, taking each option from {@code local} (after
     * the command name) if given there, else from {@code global} (before it, or the default).
     */
    static ClientConfig.Builder resolve(ConnectionOptions global, ConnectionOptions local) {
        ConnectionOptions l = local != null ? local : global;
        return ClientConfig.builder()
                .host(l.given("--host") ? l.host : global.host)
                .port(l.given("--port") ? l.port : global.port)
                .caFile(l.given("--ca") ? l.ca : global.ca)
                .insecure(l.given("--insecure") ? l.insecure : global.insecure)
                .certFile(l.given("--cert") ? l.cert : global.cert)
                .keyFile(l.given("--key") ? l.key : global.key)
                .plaintext(l.given("--plaintext") ? l.plaintext : global.plaintext)
                .serverName(l.given("--server-name") ? l.serverName : global.serverName)
                .timeout(l.given("--timeout") ? l.timeout : global.timeout)
                .compression(codec(l.given("--compress") ? l.compress : global.compress))
                .token(token(l.given("--token-file") ? l.tokenFile : global.tokenFile, System.getenv("LOGWIRE_TOKEN")));
    }

    /**
     * The token from {@code file} (its only line; surrounding white space ignored), else from
     * {@code env} (LOGWIRE_TOKEN), else null.
     *
     * @throws ConfigurationException if the file cannot be read or holds no usable token
     */
    static BearerToken token(Path file, String env) {
        if (file != null) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8).strip();
                return new BearerToken(text);
            } catch (IOException e) {
                throw new ConfigurationException("cannot read --token-file " + file + ": " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("--token-file " + file + ": " + e.getMessage(), e);
            }
        }
        if (env != null && !env.isBlank()) {
            try {
                return new BearerToken(env.strip());
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("LOGWIRE_TOKEN: " + e.getMessage(), e);
            }
        }
        return null;
    }
}
