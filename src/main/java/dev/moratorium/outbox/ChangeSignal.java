package dev.moratorium.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tells in-JVM waiters (the outbox relay, the live notification stream) that a transaction has
 * committed new rows, so they need not wait for their next poll.
 */
@ApplicationScoped
public class ChangeSignal {

    private final Object lock = new Object();
    private long version;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public void changed() {
        synchronized (lock) {
            version++;
            lock.notifyAll();
        }
        for (Runnable listener : listeners) {
            listener.run();
        }
    }

    /**
     * Runs {@code listener} on the committing thread after every change, for waiters that want to
     * choose whom to wake (the webhook workers wake one of theirs, not all); it must be quick.
     */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    public long version() {
        synchronized (lock) {
            return version;
        }
    }

    /**
     * Sleeps until {@code gap} has passed since {@code lastRoundNanos} (the {@link System#nanoTime()}
     * a waiter's previous round began): a waiter that reads the database on every commit does so at
     * most once per gap, however often commits come, and at once after a quiet spell.
     */
    public static void pace(long lastRoundNanos, Duration gap) throws InterruptedException {
        long wait = lastRoundNanos + gap.toNanos() - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
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
