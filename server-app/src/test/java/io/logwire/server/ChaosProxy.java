package io.logwire.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy for tests that cuts connections at random points: each proxied connection is
 * closed (both sides) once it has carried a random number of bytes upstream (client → server)
 * or downstream, so a cut can fall before a request is whole, after it reached the server but
 * before its reply, or in the middle of a reply. Plain blocking sockets, two threads per
 * connection.
 */
final class ChaosProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final int maxUpBytes;
    private final int maxDownBytes;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    final AtomicLong cuts = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param maxUpBytes   a connection is cut after a uniform random 1..maxUpBytes bytes upstream
     * @param maxDownBytes ... or after 1..maxDownBytes bytes downstream, whichever comes first
     */
    ChaosProxy(int targetPort, int maxUpBytes, int maxDownBytes) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.maxUpBytes = maxUpBytes;
        this.maxDownBytes = maxDownBytes;
        Thread t = new Thread(this::acceptLoop, "chaos-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                open.add(client);
                open.add(server);
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long up = 1 + r.nextInt(maxUpBytes);
                long down = 1 + r.nextInt(maxDownBytes);
                pipe(client, server, up, "up");
                pipe(server, client, down, "down");
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException("proxy accept failed", e);
                }
            }
        }
    }

    private void pipe(Socket from, Socket to, long budget, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            long left = budget;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                while (true) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    left -= n;
                    if (left == 0) {
                        cuts.incrementAndGet();
                        break;
                    }
                }
            } catch (IOException e) {
                // the other direction cut it
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "chaos-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
