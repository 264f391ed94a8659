package dev.moratorium.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.postgresql.Driver;

/**
 * A TCP proxy for one server whose replies can be frozen: while frozen it reads nothing more from
 * the server, as a client whose process is stopped (SIGSTOP) while its kernel keeps the connection
 * open. The server's writes then fill the socket buffers and wait. Clients connect to {@link #port}.
 */
public final class FreezableProxy implements AutoCloseable {

    private static final Pattern DATASOURCE_URL = Pattern.compile("(jdbc:postgresql://)([^:/]+):(\\d+)(/.*)");

    private static final int RECEIVE_BUFFER = 64 * 1024;

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

    /** Statements run on a connection. */
    @FunctionalInterface
    public interface Statements {
        void run(Statement s) throws SQLException;
    }

    /**
     * In a thread of its own, a transaction on a connection through this proxy runs {@code before}
     * (to take a lock); then this proxy freezes and the transaction reads 30 MB, more than the
     * socket buffers between the server and the frozen client hold (the server's send buffer, at
     * most tcp_wmem's 4 MB here, and this proxy's 64 KiB), so that the server waits on the
     * client in the middle of a result. Returns once frozen; the future ends when the read does.
     */
    public CompletableFuture<Void> freezeInAResult(Statements before) throws InterruptedException {
        CountDownLatch frozen = new CountDownLatch(1);
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
            try (Connection holder = connectToDatasource(); Statement s = holder.createStatement()) {
                holder.setAutoCommit(false);
                before.run(s);
                freeze();
                frozen.countDown();
                s.executeQuery("SELECT repeat('x', 1000) FROM generate_series(1, 30000)");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        if (!frozen.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not frozen in 20 s", read.handle((ok, failed) -> failed).getNow(null));
        }
        return read;
    }

    /** Thaws, and returns what ended a read begun by {@link #freezeInAResult}, null if it ended well. */
    public Throwable thawAndAwait(CompletableFuture<Void> read) throws InterruptedException, TimeoutException {
        thaw();
        try {
            read.get(20, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** A proxy to the application's database ({@code quarkus.datasource.*}), the tests' PostgreSQL. */
    public static FreezableProxy toDatasource() throws IOException {
        Matcher url = datasourceUrl();
        return new FreezableProxy(url.group(2), Integer.parseInt(url.group(3)));
    }

    /** A connection to the application's database through this proxy, with the datasource's login. */
    public Connection connectToDatasource() throws SQLException {
        Config config = ConfigProvider.getConfig();
        Properties login = new Properties();
        login.setProperty("user", config.getValue("quarkus.datasource.username", String.class));
        login.setProperty("password", config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
        Matcher url = datasourceUrl();
        return new Driver().connect(url.group(1) + "127.0.0.1:" + port() + url.group(4), login);
    }

    /** The datasource's URL in four parts: the scheme, host, port, and the database with its options. */
    private static Matcher datasourceUrl() {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        Matcher parts = DATASOURCE_URL.matcher(url);
        if (!parts.matches()) {
            throw new IllegalStateException("no host and port in the datasource's URL " + url);
        }
        return parts;
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
                // Fixed before connecting, so the kernel does not grow it (here up to tcp_rmem's 32 MB):
                // a frozen client's buffers hold what they hold, this test's result must overflow them.
                upstream.setReceiveBufferSize(RECEIVE_BUFFER);
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
