package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The access index's refresh thread: it must outlive every failure until it is stopped. */
class RefreshLoopTest {

    private final List<Duration> pauses = new ArrayList<>();
    private final List<Throwable> reported = new ArrayList<>();
    private final AtomicInteger steps = new AtomicInteger();

    /** Runs the loop until {@code stopAfter} steps were tried; step n throws failures[n] if there is one. */
    private void run(int stopAfter, Throwable... failures) {
        RefreshLoop loop = new RefreshLoop(() -> {
            int n = steps.getAndIncrement();
            if (n < failures.length && failures[n] != null) {
                sneakyThrow(failures[n]);
            }
        }, reported::add, () -> steps.get() < stopAfter, Duration.ofMillis(200), Duration.ofSeconds(5), pauses::add);
        loop.run();
    }

    @Test
    void survivesExceptionsAndErrorsAndBacksOffUpToTheMaximum() {
        Throwable[] failures = new Throwable[8];
        failures[0] = new IllegalStateException("database down");
        failures[1] = new OutOfMemoryError("Java heap space");
        failures[2] = new StackOverflowError();
        for (int i = 3; i < 8; i++) {
            failures[i] = new RuntimeException("still down");
        }
        run(10, failures);
        assertThat(steps.get()).isEqualTo(10);
        assertThat(reported).hasSize(8).startsWith(failures[0], failures[1], failures[2]);
        assertThat(pauses).extracting(Duration::toMillis).containsExactly(200L, 400L, 800L, 1600L, 3200L, 5000L,
                5000L, 5000L);
    }

    @Test
    void aSuccessResetsThePause() {
        run(5, new RuntimeException("a"), new RuntimeException("b"), null, new RuntimeException("c"));
        assertThat(pauses).extracting(Duration::toMillis).containsExactly(200L, 400L, 200L);
    }

    @Test
    void aFailingReportDoesNotEndTheLoop() {
        RefreshLoop loop = new RefreshLoop(() -> {
            steps.incrementAndGet();
            throw new IllegalStateException("down");
        }, t -> {
            throw new IllegalStateException("the log is down too");
        }, () -> steps.get() < 3, Duration.ofMillis(1), Duration.ofMillis(1), pauses::add);
        loop.run();
        assertThat(steps.get()).isEqualTo(3);
        assertThat(pauses).hasSize(3);
    }

    @Test
    void anInterruptEndsIt() {
        RefreshLoop loop = new RefreshLoop(() -> {
            steps.incrementAndGet();
            throw new InterruptedException();
        }, reported::add, () -> true, Duration.ofMillis(1), Duration.ofMillis(1), pauses::add);
        loop.run();
        assertThat(Thread.interrupted()).isTrue();
        assertThat(steps.get()).isEqualTo(1);
        assertThat(reported).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }
}
