package dev.moratorium.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * What a benchmark stopped by a signal (Ctrl-C, SIGTERM, a CI time-out) leaves behind, ended by a
 * shutdown hook. The main thread's {@code finally} blocks do not run then: without this, the
 * packaged services, {@code kafka-producer-perf-test}'s JVM, wrk and the benchmark's PostgreSQL
 * (which pg_ctl detaches from this JVM) kept running, busy on the cores the next run measures.
 * SIGKILL runs no hook; that is left to whoever sends it.
 */
final class OnExit {

    /** A packaged service stops on SIGTERM within a second or two; more and it is stuck. */
    static final Duration CHILDREN_GRACE = Duration.ofMillis(Long.getLong("bench.on-exit.grace-ms", 10_000));

    private static final Deque<AutoCloseable> OPEN = new ConcurrentLinkedDeque<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(OnExit::cleanUp, "bench-on-exit"));
    }

    private OnExit() {
    }

    /** To be closed if this JVM exits first; the last registered is closed first, as try-with-resources would. */
    static void close(AutoCloseable resource) {
        OPEN.push(resource);
    }

    /** Closed by its owner: nothing left to do at exit. */
    static void closed(AutoCloseable resource) {
        OPEN.remove(resource);
    }

    private static void cleanUp() {
        // The child processes first: their connections to the broker (in this JVM) and to PostgreSQL
        // end before those do, and a service stops as Kubernetes stops it (SIGTERM, then SIGKILL).
        List<ProcessHandle> children = new ArrayList<>(ProcessHandle.current().descendants().toList());
        children.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + CHILDREN_GRACE.toNanos();
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                child.destroyForcibly();
                try {
                    child.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception stillThere) {
                    System.err.println("on exit, process " + child.pid() + " survived SIGKILL");
                }
            }
        }
        for (AutoCloseable resource; (resource = OPEN.poll()) != null; ) {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("on exit, " + resource + " did not close: " + e);
            }
        }
    }
}
