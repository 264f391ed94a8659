package dev.moratorium.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The two ways a commit's wake-up is shaped: listeners run on each change, and rounds are paced. */
class ChangeSignalTest {

    @Test
    void aRoundRightAfterTheLastOneWaitsForTheRestOfTheGap() throws InterruptedException {
        long lastRound = System.nanoTime();
        ChangeSignal.pace(lastRound, Duration.ofMillis(50));
        assertThat(Duration.ofNanos(System.nanoTime() - lastRound)).isGreaterThanOrEqualTo(Duration.ofMillis(50));
    }

    @Test
    void aRoundAfterAQuietSpellStartsAtOnce() throws InterruptedException {
        long lastRound = System.nanoTime() - Duration.ofSeconds(1).toNanos();
        long started = System.nanoTime();
        ChangeSignal.pace(lastRound, Duration.ofMillis(500));
        // far below the 500 ms gap: nothing was waited for
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(250));
    }

    @Test
    void paceLimitsAWaiterToOneRoundPerGapHoweverOftenCommitsCome() throws InterruptedException {
        ChangeSignal signal = new ChangeSignal();
        AtomicInteger rounds = new AtomicInteger();
        Thread committer = new Thread(() -> {
            for (int i = 0; i < 1_000; i++) { // a commit every 0.2 ms, for 200 ms
                signal.changed();
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        });
        Thread waiter = new Thread(() -> {
            long lastRound = System.nanoTime() - Duration.ofMillis(20).toNanos();
            try {
                while (committer.isAlive()) {
                    ChangeSignal.pace(lastRound, Duration.ofMillis(20));
                    lastRound = System.nanoTime();
                    long seen = signal.version();
                    rounds.incrementAndGet();
                    signal.awaitChangeAfter(seen, Duration.ofMillis(100));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long started = System.nanoTime();
        committer.start();
        waiter.start();
        committer.join();
        waiter.join(2_000);
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        // one round per 20 ms at most (plus the first), not one per commit
        assertThat(rounds.get()).isBetween(1, (int) (elapsedMs / 20) + 2);
    }

    @Test
    void listenersRunOnEveryChange() {
        ChangeSignal signal = new ChangeSignal();
        AtomicInteger heard = new AtomicInteger();
        signal.onChange(heard::incrementAndGet);
        signal.changed();
        signal.changed();
        assertThat(heard.get()).isEqualTo(2);
        assertThat(signal.version()).isEqualTo(2);
    }
}
