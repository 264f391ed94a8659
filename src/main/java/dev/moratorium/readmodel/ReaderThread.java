package dev.moratorium.readmodel;

import java.time.Duration;

/**
 * The thread of a reader that keeps memory in step with the database (the access index, the
 * notification feed). It must not outlive the database: Quarkus closes Hibernate as soon as the
 * {@code ShutdownEvent} observers have returned, so a round still running then, or one begun just
 * after, failed with "EntityManagerFactory is closed" and logged a warning at every stop. Its owner
 * therefore clears its running flag, wakes its wait, and {@linkplain #awaitEnd waits} for the
 * round in progress before returning from its observer.
 */
final class ReaderThread {

    private final Thread thread;

    private ReaderThread(Thread thread) {
        this.thread = thread;
    }

    /** Starts {@code loop} on a daemon thread of this name. */
    static ReaderThread start(String name, Runnable loop) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        t.start();
        return new ReaderThread(t);
    }

    /**
     * Waits up to {@code bound} for the loop to end by itself (a read ends within its statement
     * timeout); one still running then is asleep after a failure, or stuck, and is interrupted and
     * waited for as long again. Answers whether the thread has ended.
     */
    boolean awaitEnd(Duration bound) {
        try {
            thread.join(bound.toMillis());
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(bound.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
