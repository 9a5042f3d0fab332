package io.logwire.client.cli;

import io.logwire.client.HelloResult;
import io.logwire.client.LogwireClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLSession;

/** {@code logwire ping}: connects and times HELLO round trips. */
@Command(name = "ping", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        showDefaultValues = true,
        description = "Connect, then time HELLO round trips; print the server's version, its frame limit and the TLS in use.")
final class PingCommand extends ConnectedCommand {
    @Option(names = {"-c", "--count"}, defaultValue = "1", paramLabel = "N", description = "HELLO round trips to time.")
    int count;

    @Override
    public Integer call() {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be positive");
        }
        long t0 = System.nanoTime();
        try (LogwireClient client = connect()) {
            double connectMs = (System.nanoTime() - t0) / 1e6;
            SSLSession tls = client.tlsSession();
            main.out.printf("connected to %s in %.1f ms (%s)%n", client.config().address(), connectMs,
                    tls == null ? "PLAINTEXT, not encrypted" : tls.getProtocol() + ", " + tls.getCipherSuite());
            double min = Double.MAX_VALUE;
            double sum = 0;
            HelloResult hello = null;
            for (int i = 0; i < count; i++) {
                long t = System.nanoTime();
                hello = client.sync().hello();
                double ms = (System.nanoTime() - t) / 1e6;
                min = Math.min(min, ms);
                sum += ms;
                if (count > 1) {
                    main.out.printf("HELLO %d: %.3f ms%n", i + 1, ms);
                }
            }
            main.out.printf("server %s, protocol %d, max frame %s; HELLO round trip %.3f ms%s%n", hello.serverName(),
                    hello.protocolVersion(), StatsCommand.bytes(hello.maxFrameLength()), count == 1 ? sum : min,
                    count == 1 ? "" : String.format(" min, %.3f ms avg", sum / count));
            return ExitCodes.OK;
        }
    }
}
