package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A reader's thread at the stop: the round in progress ends before the stop returns (Quarkus
 * closes the database right after), a loop asleep after a failure is woken, and a stuck one does
 * not hold the stop beyond its bound.
 */
class ReaderThreadTest {

    private final AtomicBoolean running = new AtomicBoolean(true);

    @Test
    void theStopWaitsForTheRoundInProgressWithoutInterruptingIt() throws InterruptedException {
        CountDownLatch roundBegan = new CountDownLatch(1);
        AtomicInteger roundsCompleted = new AtomicInteger();
        AtomicBoolean interrupted = new AtomicBoolean();
        ReaderThread thread = ReaderThread.start("test-reader", () -> {
            while (running.get()) {
                roundBegan.countDown();
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400); // a read under way
                while (System.nanoTime() < end) {
                    interrupted.compareAndSet(false, Thread.currentThread().isInterrupted());
                }
                roundsCompleted.incrementAndGet();
            }
        });
        assertThat(roundBegan.await(5, TimeUnit.SECONDS)).isTrue();
        running.set(false);

        boolean ended = thread.awaitEnd(Duration.ofSeconds(5));

        assertThat(ended).isTrue();
        assertThat(roundsCompleted.get()).as("the round under way finished before the stop returned").isEqualTo(1);
        assertThat(interrupted.get()).as("a round that ends in time is not interrupted").isFalse();
    }

    @Test
    void aLoopAsleepAfterAFailureIsInterruptedOnceTheBoundHasPassed() throws InterruptedException {
        CountDownLatch asleep = new CountDownLatch(1);
        AtomicBoolean wokenByInterrupt = new AtomicBoolean();
        ReaderThread thread = ReaderThread.start("test-reader", () -> {
            try {
                asleep.countDown();
                Thread.sleep(60_000); // the back-off after a failed read
            } catch (InterruptedException e) {
                wokenByInterrupt.set(true);
            }
        });
        assertThat(asleep.await(5, TimeUnit.SECONDS)).isTrue();
        running.set(false);
        long started = System.nanoTime();

        boolean ended = thread.awaitEnd(Duration.ofMillis(200));

        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(ended).isTrue();
        assertThat(wokenByInterrupt.get()).isTrue();
        assertThat(tookMs).as("not the 60 s of the sleep").isLessThan(30_000);
    }

    @Test
    void aLoopThatIgnoresInterruptsDoesNotHoldTheStop() {
        AtomicBoolean release = new AtomicBoolean();
        ReaderThread thread = ReaderThread.start("test-reader", () -> {
            while (!release.get()) {
                Thread.onSpinWait(); // stuck, deaf to interrupts
            }
        });
        try {
            assertThat(thread.awaitEnd(Duration.ofMillis(100))).isFalse();
        } finally {
            release.set(true);
        }
        assertThat(thread.awaitEnd(Duration.ofSeconds(5))).isTrue();
    }
}
