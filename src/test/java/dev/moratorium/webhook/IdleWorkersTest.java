package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdleWorkersTest {

    @Test
    void aWakeUpLetsOneWaitingWorkerGoNotAll() throws Exception {
        IdleWorkers idle = new IdleWorkers();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> waits = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waits.add(pool.submit(() -> idle.await(Duration.ofSeconds(2))));
            }
            Thread.sleep(300); // all four are waiting
            idle.wakeOne();
            int woken = 0;
            for (Future<Boolean> wait : waits) {
                woken += wait.get(5, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(woken).as("workers woken by one commit").isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWakeUpGivenWhileNoneWaitsIsKeptOnceForTheNextWaiter() throws InterruptedException {
        IdleWorkers idle = new IdleWorkers();
        idle.wakeOne();
        idle.wakeOne(); // two commits while every worker was busy: one look covers both
        assertThat(idle.await(Duration.ofMillis(50))).isTrue();
        assertThat(idle.await(Duration.ofMillis(50))).as("the second wake-up was merged into the first").isFalse();
    }

    @Test
    void withoutAWakeUpTheWaitEndsWithThePollInterval() throws InterruptedException {
        IdleWorkers idle = new IdleWorkers();
        long started = System.nanoTime();
        assertThat(idle.await(Duration.ofMillis(100))).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    }
}
