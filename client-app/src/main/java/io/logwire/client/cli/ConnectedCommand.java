package io.logwire.client.cli;

import io.logwire.client.ClientConfig;
import io.logwire.client.ClientVersion;
import io.logwire.client.LogwireClient;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** A command that talks to a server: the connection options, and connecting with them. */
abstract class ConnectedCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    ConnectionOptions connection;

    /** The client configuration the options describe. */
    ClientConfig clientConfig(int maxInFlight) {
        try {
            return ConnectionOptions.resolve(main.connection, connection).maxInFlight(maxInFlight)
                    .clientName("logwire-cli/" + ClientVersion.VERSION).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(main.spec.commandLine(), e.getMessage());
        }
    }

    ClientConfig clientConfig() {
        return clientConfig(ClientConfig.DEFAULT_MAX_IN_FLIGHT);
    }

    /** Connects as the options say, warning loudly in insecure mode. */
    LogwireClient connect() {
        return connect(clientConfig());
    }

    LogwireClient connect(ClientConfig config) {
        if (config.insecure()) {
            main.err.println("WARNING: --insecure: the server's certificate is NOT verified. Anyone on the network "
                    + "path can impersonate the server and read or change this traffic. Use --ca FILE instead.");
            main.err.flush();
        }
        return LogwireClient.connect(config);
    }
}
