package dev.moratorium.api;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An answer's output that gives up on a client that takes nothing: a write that has waited for the
 * client longer than the stall time ({@code moratorium.api.client-stall}) is interrupted and fails,
 * so the answer ends, cut mid-way, and its place among the long lists is given back (the connection
 * itself stays open, holding only its buffers, until the client or the idle timeout closes it).
 * Quarkus's output stream waits for a client to take what it was sent with no limit of its own
 * (only the HTTP idle timeout, 30 minutes, ends such a connection), and eight clients that sent a
 * request for a long list and then read nothing (a frozen process; a few lines of a script) held
 * every place: every long list answered 503 {@code busy} for as long as they stayed connected.
 * Only the answer's own writes are watched: the end Quarkus writes after it (the last chunk) may
 * still wait for such a client on its worker thread, though no longer holding a place.
 */
final class StallGuard extends FilterOutputStream {

    private static final ScheduledExecutorService WATCH = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "stalled-clients");
        thread.setDaemon(true);
        return thread;
    });
    private static final long CHECK_MILLIS = 500;

    private final Duration stall;
    private final ScheduledFuture<?> check;
    /** The thread inside a write, and since when; null between writes. */
    private Thread writer;
    private long since;
    private boolean cut;

    StallGuard(OutputStream out, Duration stall) {
        super(out);
        this.stall = stall;
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
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        enter();
        try {
            out.write(b, off, len);
        } finally {
            leave();
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
        }
    }

    private IOException stalled() {
        return new IOException("the client took nothing for " + stall.toSeconds() + " s");
    }
}
