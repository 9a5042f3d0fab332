package io.logwire.server.store.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A TCP forwarder on 127.0.0.1 that a test can take down and bring back on the same port. */
final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile ServerSocket server;
    private volatile boolean blackhole;
    private int port;

    TcpProxy(String host, int targetPort) {
        this.target = new InetSocketAddress(host, targetPort);
    }

    synchronized TcpProxy start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        // The port may be held for a moment by connections of the previous incarnation closing.
        for (int attempt = 0; ; attempt++) {
            try {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                break;
            } catch (java.net.BindException e) {
                if (attempt == 100) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        port = s.getLocalPort();
        server = s;
        Thread t = new Thread(() -> accept(s), "proxy-accept");
        t.setDaemon(true);
        t.start();
        return this;
    }

    int port() {
        return port;
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket in = s.accept();
                if (!register(s, in)) {
                    continue;
                }
                if (blackhole) {
                    continue; // accepted, never answered: a server that hangs
                }
                Socket out = new Socket();
                if (!register(s, out)) {
                    continue;
                }
                out.connect(target, 2000);
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                // closed, or the target refused: the client sees its connection dropped
            }
        }
    }

    /** Tracks {@code socket} for stop(), or closes it if {@code s} was stopped meanwhile. */
    private synchronized boolean register(ServerSocket s, Socket socket) throws IOException {
        if (server != s) {
            socket.close();
            return false;
        }
        sockets.add(socket);
        return true;
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                try {
                    to.close();
                    from.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** New connections are accepted and never answered (true), or forwarded again (false). */
    void blackhole(boolean on) {
        blackhole = on;
    }

    /** Refuses new connections and drops open ones, as a server that went away. */
    synchronized void stop() throws IOException {
        if (server != null) {
            server.close();
            server = null;
        }
        for (Socket s : sockets) {
            s.close();
        }
        sockets.clear();
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
