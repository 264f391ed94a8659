package dev.moratorium.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * Tells in-JVM waiters (the outbox relay, the live notification stream) that a transaction has
 * committed new rows, so they need not wait for their next poll.
 */
@ApplicationScoped
public class ChangeSignal {

    private final Object lock = new Object();
    private long version;

    public void changed() {
        synchronized (lock) {
            version++;
            lock.notifyAll();
        }
    }

    public long version() {
        synchronized (lock) {
            return version;
        }
    }

    /** Waits until a change after {@code seen}, or at most {@code max}. */
    public void awaitChangeAfter(long seen, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (lock) {
            while (version == seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }
}
