package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.outbox.ChangeSignal;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What commits cost the webhook workers, counted at the ledger (each call is a transaction):
 * nothing while no subscription is active, and one worker's look per commit — not one per
 * worker — while one is.
 */
class DeliveryWakeUpsTest {

    private final AtomicBoolean active = new AtomicBoolean();
    private final AtomicInteger claims = new AtomicInteger();
    private final AtomicInteger activeLooks = new AtomicInteger();
    private final ChangeSignal signal = new ChangeSignal();
    private DeliveryWorkers workers;

    @AfterEach
    void stop() {
        if (workers != null) {
            workers.stop(null);
        }
    }

    @Test
    void commitsWakeNoWorkerWhileNoSubscriptionIsActive() throws InterruptedException {
        start(Duration.ofSeconds(30));
        Thread.sleep(300); // the first look finds none active
        int claimsBefore = claims.get();
        commits(200);
        assertThat(claims.get() - claimsBefore).as("claim transactions for 200 commits, no subscription").isZero();
        // the workers' first looks at start (racing, up to one each); none since: the poll interval has not passed
        assertThat(activeLooks.get()).as("looks for an active subscription").isBetween(1, 4);
    }

    @Test
    void eachCommitWakesOneWorkerNotAll() throws InterruptedException {
        active.set(true);
        start(Duration.ofSeconds(30));
        Thread.sleep(300); // each of the 4 workers looked once at start and found nothing due
        int claimsBefore = claims.get();
        commits(100);
        int perCommit = claims.get() - claimsBefore;
        // at most one worker per commit (fewer when commits come while it is still looking)
        assertThat(perCommit).as("claim transactions for 100 commits, 4 workers").isBetween(1, 100);
    }

    @Test
    void aSubscriptionCreatedHereMakesCommitsWakeAWorkerAgain() throws InterruptedException {
        start(Duration.ofSeconds(30));
        Thread.sleep(300);
        workers.subscriptionsMayBeActive();
        int claimsBefore = claims.get();
        commits(1);
        assertThat(claims.get() - claimsBefore).isEqualTo(1);
    }

    private void commits(int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            signal.changed();
            Thread.sleep(5); // 200 commits/s
        }
        Thread.sleep(200);
    }

    private void start(Duration poll) {
        workers = new DeliveryWorkers();
        workers.settings = settings(poll);
        workers.signal = signal;
        workers.guard = new TargetGuard(true, host -> new java.net.InetAddress[0]);
        workers.wall = Clock.systemUTC();
        workers.metrics = new WebhookMetrics(); // not used: nothing is ever claimed here
        workers.ledger = new DeliveryLedger() {
            @Override
            Optional<Claim> claim(String holder, Duration lease) {
                claims.incrementAndGet();
                return Optional.empty();
            }

            @Override
            boolean anyActive() {
                activeLooks.incrementAndGet();
                return active.get();
            }
        };
        workers.start(null);
    }

    private static WebhookSettings settings(Duration poll) {
        return (WebhookSettings) Proxy.newProxyInstance(WebhookSettings.class.getClassLoader(),
                new Class<?>[] {WebhookSettings.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "enabled", "allowPrivateTargets" -> true;
                    case "workers" -> 4;
                    case "batchSize" -> 100;
                    case "poll" -> poll;
                    case "lease" -> Duration.ofSeconds(60);
                    case "hashCode" -> 0;
                    case "equals" -> false;
                    case "toString" -> "settings";
                    default -> Duration.ofSeconds(5);
                });
    }
}
