package io.logwire.client.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 that forwards bytes to a server and, every {@code cutEvery}
 * milliseconds on average, cuts one of its live connections at a random point (both sockets
 * closed at once, so a request may be lost before the server, or its acknowledgement after it).
 * Two threads per connection; for tests and {@code logwire-bench chaos} (exactly-once checks of
 * an upload pipeline), not for production traffic.
 */
public final class ChaosProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final List<Socket[]> live = new CopyOnWriteArrayList<>();
    private final AtomicLong cuts = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final Thread acceptor;
    private final Thread cutter;
    private volatile boolean closed;

    /**
     * @param cutEveryMillis mean time between cuts; 0 = never cut
     */
    public ChaosProxy(String host, int port, long cutEveryMillis) throws IOException {
        this.upstream = new InetSocketAddress(host, port);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "chaos-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        cutter = new Thread(() -> cutLoop(cutEveryMillis), "chaos-cut");
        cutter.setDaemon(true);
        if (cutEveryMillis > 0) {
            cutter.start();
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections cut so far. */
    public long cuts() {
        return cuts.get();
    }

    /** Connections accepted so far. */
    public long accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                try {
                    server.connect(upstream, 5000);
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                accepted.incrementAndGet();
                Socket[] pair = {client, server};
                live.add(pair);
                pump(client, server, pair);
                pump(server, client, pair);
            } catch (IOException e) {
                if (!closed) {
                    continue;
                }
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, Socket[] pair) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // cut or closed
            } finally {
                close(pair);
            }
        }, "chaos-pump");
        t.setDaemon(true);
        t.start();
    }

    private void cutLoop(long every) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (!closed) {
            try {
                Thread.sleep(Math.max(1, (long) (every * (0.5 + r.nextDouble()))));
            } catch (InterruptedException e) {
                return;
            }
            if (!live.isEmpty()) {
                Socket[] victim = live.get(r.nextInt(live.size()));
                if (!victim[0].isClosed()) {
                    cuts.incrementAndGet();
                }
                close(victim);
            }
        }
    }

    private void close(Socket[] pair) {
        live.remove(pair);
        for (Socket s : pair) {
            try {
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        cutter.interrupt();
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket[] p : live) {
            close(p);
        }
    }
}
