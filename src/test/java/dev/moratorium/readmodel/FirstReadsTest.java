package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The coordination of first reads, with reads held open by latches: what waits for what is decided
 * by the order of events, not by timing (the 10 s bounds only turn a hang into a failure).
 */
class FirstReadsTest {

    private final FirstReads<String> reads = new FirstReads<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    /** What a finished read of "amazon" kept: the next callers answer from it. */
    private final AtomicReference<String> keptAmazon = new AtomicReference<>();
    private final AtomicInteger amazonReads = new AtomicInteger();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void aSecondRequestForTheSameKeyWaitsAndAnswersFromWhatTheFirstKept() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> reads.answer("amazon",
                () -> Optional.ofNullable(keptAmazon.get()), () -> {
                    amazonReads.incrementAndGet();
                    reading.countDown();
                    await(release);
                    keptAmazon.set("kept");
                    return "read";
                }), pool);
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
        CountDownLatch secondAsked = new CountDownLatch(1);
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> reads.answer("amazon", () -> {
            secondAsked.countDown();
            return Optional.ofNullable(keptAmazon.get());
        }, () -> {
            amazonReads.incrementAndGet();
            return "read again";
        }), pool);
        assertThat(secondAsked.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(second).as("waits while the first read is under way").isNotDone();

        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("read");
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("kept");
        assertThat(amazonReads).as("the rows read once").hasValue(1);
        assertThat(reads.underWay()).isZero();
    }

    @Test
    void aReadOfAnotherKeyDoesNotWaitForOneUnderWay() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> reads.answer("amazon",
                Optional::<String>empty, () -> {
                    reading.countDown();
                    await(release);
                    return "amazon";
                }), pool);
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();

        // whatever the two keys' hashes: the old 256 locks by hash made these two wait for each other when they met
        assertThat(CompletableFuture.supplyAsync(() -> reads.answer("ibm", Optional::<String>empty, () -> "ibm"), pool)
                .get(10, TimeUnit.SECONDS)).isEqualTo("ibm");
        assertThat(slow).isNotDone();
        release.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("amazon");
    }

    @Test
    void aWaiterReadsItselfWhenTheReadItWaitedForKeptNothingOrFailed() throws Exception {
        for (boolean fails : new boolean[] {false, true}) {
            CountDownLatch reading = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger readsMade = new AtomicInteger();
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> reads.answer("amazon",
                    Optional::<String>empty, () -> {
                        readsMade.incrementAndGet();
                        reading.countDown();
                        await(release);
                        if (fails) {
                            throw new IllegalStateException("the database went away");
                        }
                        return "too long to keep";
                    }), pool);
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> reads.answer("amazon",
                    Optional::<String>empty, () -> {
                        readsMade.incrementAndGet();
                        return "its own read";
                    }), pool);
            release.countDown();
            if (fails) {
                assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasRootCauseMessage("the database went away");
            } else {
                assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("too long to keep");
            }
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("its own read");
            assertThat(readsMade).as("fails=%s", fails).hasValue(2);
            assertThat(reads.underWay()).isZero();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
