package dev.moratorium.api;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An answer's output that gives up on a client that takes nothing, and keeps what the answer has
 * sent but the client not yet taken within a window.
 *
 * <p>A write that has waited for the client longer than the stall time
 * ({@code moratorium.api.client-stall}) is interrupted and fails, and the connection is closed, so
 * the answer ends, cut mid-way, its place among the long answers is given back and what was queued
 * for the client is let go. Quarkus's output stream waits for a client to take what it was sent
 * with no limit of its own (only the HTTP idle timeout, 30 minutes, ends such a connection), and
 * eight clients that sent a request for a long list and then read nothing (a frozen process; a few
 * lines of a script) held every place: every long list answered 503 {@code busy} for as long as
 * they stayed connected.
 *
 * <p>That wait only starts once the connection itself is full: the writes of a request thread are
 * queued for the connection's event loop, and while the event loops are busy (200 clients asking at
 * once, on two cores) the queue has no limit, so an answer of a megabyte was queued whole and its
 * place given back at once; 200 clients that asked for a page of history and read nothing had the
 * service's 160 MB of direct memory queued for them, and it ended on OutOfMemoryError. So every
 * {@value #WINDOW} bytes, and at the end, the answer waits until what it wrote has left for the
 * client ({@link Client#drained}), for no longer than the stall time.
 */
final class StallGuard extends FilterOutputStream {

    private static final ScheduledExecutorService WATCH = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "stalled-clients");
        thread.setDaemon(true);
        return thread;
    });
    private static final long CHECK_MILLIS = 500;

    /** Bytes an answer writes before it waits for them to have left for its client. */
    static final long WINDOW = 256 * 1024;

    /** The connection an answer is written to. */
    interface Client {
        /** Completes once everything written before it has left for the client. */
        CompletionStage<?> drained();

        /** Closes the connection: what was queued for it is let go. */
        void close();

        /** No connection to wait for (an answer written to memory). */
        Client NONE = new Client() {
            @Override
            public CompletionStage<?> drained() {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void close() {
            }
        };
    }

    private final Duration stall;
    private final Client client;
    private final ScheduledFuture<?> check;
    private long unsettled;
    /** The thread inside a write, and since when; null between writes. */
    private Thread writer;
    private long since;
    private boolean cut;

    StallGuard(OutputStream out, Duration stall, Client client) {
        super(out);
        this.stall = stall;
        this.client = client;
        this.check = WATCH.scheduleWithFixedDelay(this::cutIfStalled, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void write(int b) throws IOException {
        enter();
        try {
            out.write(b);
        } finally {
            leave();
        }
        unsettled++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        enter();
        try {
            out.write(b, off, len);
        } finally {
            leave();
        }
        unsettled += len;
        if (unsettled >= WINDOW) {
            settle();
        }
    }

    /**
     * Waits until what was written has left for the client; a client that has not taken it within
     * the stall time loses its answer and its connection.
     */
    void settle() throws IOException {
        flush();
        unsettled = 0;
        try {
            client.drained().toCompletableFuture().get(stall.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            synchronized (this) {
                cut = true;
            }
            client.close();
            throw stalled();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the client");
        } catch (ExecutionException e) {
            throw new IOException("the connection failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void flush() throws IOException {
        enter();
        try {
            out.flush();
        } finally {
            leave();
        }
    }

    /** The answer has ended, however it ended: nothing more to watch. */
    void stopWatching() {
        check.cancel(false);
    }

    private synchronized void enter() throws IOException {
        if (cut) {
            throw stalled();
        }
        writer = Thread.currentThread();
        since = System.nanoTime();
    }

    /** The interrupt is only ever sent inside a write, and taken back here, so no pooled thread keeps it. */
    private synchronized void leave() throws IOException {
        writer = null;
        if (cut) {
            Thread.interrupted();
            throw stalled();
        }
    }

    private synchronized void cutIfStalled() {
        if (writer != null && !cut && System.nanoTime() - since > stall.toNanos()) {
            cut = true;
            writer.interrupt(); // Quarkus's wait for the client ends with InterruptedIOException
            client.close();
        }
    }

    private IOException stalled() {
        return new IOException("the client took nothing for " + stall.toSeconds() + " s");
    }
}
