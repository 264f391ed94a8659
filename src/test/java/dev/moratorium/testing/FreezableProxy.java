package dev.moratorium.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy for one server whose replies can be frozen: while frozen it reads nothing more from
 * the server, as a client whose process is stopped (SIGSTOP) while its kernel keeps the connection
 * open. The server's writes then fill the socket buffers and wait. Clients connect to {@link #port}.
 */
public final class FreezableProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private boolean frozen;

    public FreezableProxy(String host, int port) throws IOException {
        this.server = new InetSocketAddress(host, port);
        this.listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(this::accept, "freezable-proxy-accept");
        accepting.setDaemon(true);
        accepting.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** From now on the server's bytes stay unread, until {@link #thaw}. */
    public void freeze() {
        synchronized (gate) {
            frozen = true;
        }
    }

    public void thaw() {
        synchronized (gate) {
            frozen = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket upstream = new Socket();
                upstream.connect(server, 10_000);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream, false, "freezable-proxy-to-server");
                pump(upstream, client, true, "freezable-proxy-to-client");
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean freezable, String name) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (;;) {
                    if (freezable) {
                        awaitThaw();
                    }
                    int n = in.read(buffer);
                    if (n < 0) {
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException ended) {
                // either side closed: so does the other, below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private void awaitThaw() throws InterruptedIOException {
        synchronized (gate) {
            while (frozen) {
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while frozen");
                }
            }
        }
    }

    @Override
    public void close() {
        thaw();
        closeQuietly(listener);
        sockets.forEach(FreezableProxy::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing
        }
    }
}
