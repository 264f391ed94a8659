package dev.moratorium.reliability;

import java.time.Duration;

/**
 * Liveness and readiness of a service, polled once a second for the length of an outage: liveness
 * must answer 200 at every poll (a restart would not cure a missing dependency), readiness must
 * turn 503 (the replica should get no traffic while it cannot take in changes).
 */
final class HealthWatch {

    private static final Duration POLL = Duration.ofSeconds(1);

    int polls;
    int livenessUp;
    int readinessDown;
    /** From the start of the watch to the first readiness 503, -1 if never. */
    long firstReadinessDownMillis = -1;
    /** The slowest answers: Kubernetes counts one slower than the probe's timeoutSeconds as a failure. */
    long slowestLivenessMillis;
    long slowestReadinessMillis;

    static HealthWatch during(ServiceProcess service, Duration length) throws InterruptedException {
        HealthWatch watch = new HealthWatch();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        // Polls until the time is up, not a number of times: with the database down a readiness
        // answer takes about 2 s, and 75 polls kept the database away for 150 s instead of 75.
        for (long next = start; next < end; next = Math.max(next + POLL.toNanos(), System.nanoTime())) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            watch.polls++;
            long asked = System.nanoTime();
            if (service.status("/q/health/live") == 200) {
                watch.livenessUp++;
            }
            long answered = System.nanoTime();
            watch.slowestLivenessMillis = Math.max(watch.slowestLivenessMillis, (answered - asked) / 1_000_000);
            int ready = service.status("/q/health/ready");
            watch.slowestReadinessMillis = Math.max(watch.slowestReadinessMillis, (System.nanoTime() - answered) / 1_000_000);
            if (ready == 503) {
                watch.readinessDown++;
                if (watch.firstReadinessDownMillis < 0) {
                    watch.firstReadinessDownMillis = (System.nanoTime() - start) / 1_000_000;
                }
            }
        }
        return watch;
    }

    boolean livenessAlwaysUp() {
        return polls > 0 && livenessUp == polls;
    }

    boolean readinessWentDown() {
        return readinessDown > 0;
    }

    @Override
    public String toString() {
        return "liveness UP " + livenessUp + "/" + polls + " polls, readiness DOWN " + readinessDown + "/" + polls
                + (firstReadinessDownMillis < 0 ? "" : " (first after " + firstReadinessDownMillis / 1000.0 + " s)")
                + ", slowest answers: liveness " + slowestLivenessMillis + " ms, readiness " + slowestReadinessMillis + " ms";
    }
}
