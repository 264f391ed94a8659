package dev.moratorium.reliability;

import static dev.moratorium.reliability.RunSettings.CATCH_UP;
import static dev.moratorium.reliability.RunSettings.EVENTS;
import static dev.moratorium.reliability.RunSettings.POLICIES;
import static dev.moratorium.reliability.RunSettings.READY;
import static dev.moratorium.reliability.RunSettings.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Breaks things for real around the packaged service ({@code target/quarkus-app}, production
 * settings) and checks exactly-once effects: SIGKILL mid-stream, two replicas with a failover,
 * graceful shutdown ({@link OutagesIT}: the broker and the database down). Sizes come from system
 * properties so CI runs a smaller stream than {@code reliability/run-full} (100,000 events over
 * 5,000 policies).
 */
class ReliabilityIT {

    /**
     * From the restarted service being ready (5–14 s after a SIGKILL on CI's 2 shared cores) to its
     * applying events again: what is left of the consumer's 10 s session timeout, counted from the
     * kill, plus a rebalance, with room for a slow machine. With Kafka's default session timeout
     * (45 s) it was about 38 s.
     */
    private static final Duration RESUME_AFTER_READY_BOUND = Duration.ofSeconds(20);

    @Test
    void sigkillAtThreeRandomPointsLosesNothingAndAppliesNothingTwice() throws Exception {
        Workload w = Workload.generate(EVENTS, POLICIES, SEED, "crash");
        try (Harness h = new Harness(3)) {
            h.produce(w.records);
            ServiceProcess service = h.service("crash");
            service.start();
            Random random = new Random(SEED);
            List<Double> points = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                points.add(0.15 + 0.25 * i + 0.2 * random.nextDouble()); // one in each third of the stream
            }
            List<Duration> resumesAfterReady = new ArrayList<>();
            for (double point : points) {
                service.awaitReady(READY);
                long target = (long) (w.applied * point);
                while (h.appliedCount() < target) {
                    Thread.sleep(20);
                }
                long killed = System.nanoTime();
                service.kill();
                // read once the process is gone: nothing applies between this count and the restart
                long appliedAtKill = h.appliedCount();
                service.start();
                service.awaitReady(READY);
                long ready = System.nanoTime();
                while (h.appliedCount() == appliedAtKill) {
                    assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("ingest resumed").isLessThan(CATCH_UP);
                    Thread.sleep(20);
                }
                long resumed = System.nanoTime();
                resumesAfterReady.add(Duration.ofNanos(resumed - ready));
                System.out.printf("reliability: SIGKILL at %.0f%% (%d of %d events applied), ready again %.1f s and"
                        + " applying again %.1f s after the kill%n", point * 100, appliedAtKill, w.applied,
                        (ready - killed) / 1e9, (resumed - killed) / 1e9);
            }
            service.awaitReady(READY);
            h.awaitCaughtUp(w, CATCH_UP, service);
            System.out.println("reliability crash (seed " + SEED + "): " + h.verify(w, List.of(service)));
            // The restarted consumer waits in the rebalance until the broker gives up on the killed one
            // (session.timeout.ms, 10 s from the kill): soon after the restart is ready, not the ~40 s
            // after it that Kafka's default of 45 s took.
            assertThat(resumesAfterReady).as("from the restarted service being ready to its applying again")
                    .allSatisfy(wait -> assertThat(wait).isLessThan(RESUME_AFTER_READY_BOUND));
            service.terminate(Duration.ofSeconds(20));
        }
    }

    @Test
    void twoReplicasShareTheWorkEmitTimeDrivenChangesOnceAndFailOver() throws Exception {
        Workload first = Workload.generate(Math.min(EVENTS, 8_000), Math.min(POLICIES, 400), SEED + 2, "rep");
        try (Harness h = new Harness(REPLICA_PARTITIONS)) {
            ServiceProcess a = h.service("replica-a");
            ServiceProcess b = h.service("replica-b");
            a.start();
            b.start();
            a.awaitReady(READY);
            b.awaitReady(READY);
            // Ready says the consumer runs, not that the group gave it partitions: a replica whose
            // join was still under way when the records came missed the whole stream on a fast
            // machine (consumed a=0 b=6071), and "both take part" failed for the timing, not the code.
            awaitBothAssigned(a, b);
            // 60 moratoria that end in 20 s: each access.restored must be published exactly once between the two
            Instant until = Instant.now().plusSeconds(20).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            List<Workload.Rec> soon = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String id = "soon-" + i;
                soon.add(new Workload.Rec(id, ("{\"specversion\":\"1.0\",\"id\":\"" + id + "-a\",\"type\":"
                        + "\"moratorium.announced\",\"source\":\"urn:reliability\",\"data\":{\"policyId\":\"" + id
                        + "\",\"vendor\":\"Soon\",\"product\":\"Ending\",\"segments\":[\"police\"],\"effectiveFrom\":"
                        + "\"2026-01-01\",\"effectiveUntil\":\"" + until + "\"}}").getBytes(), "applied"));
            }
            h.produce(soon);
            h.produce(first.records);
            long deadline = System.nanoTime() + CATCH_UP.toNanos();
            while (h.count("SELECT count(*) FROM policy_event") < first.applied + 60 || Instant.now().isBefore(
                    until.plusSeconds(6)) || h.count("SELECT count(*) FROM outbox") > 0) {
                assertThat(System.nanoTime()).as("caught up").isLessThan(deadline);
                Thread.sleep(250);
            }
            double consumedA = a.metric("moratorium_events_consumed_total");
            double consumedB = b.metric("moratorium_events_consumed_total");
            var restored = new java.util.HashMap<String, Integer>();
            long duplicatesBeforeFailover = 0;
            var ids = new java.util.HashMap<String, Integer>();
            for (var r : h.readTopic("moratorium-notifications")) {
                String id = new String(r.headers().lastHeader("ce_id").value());
                ids.merge(id, 1, Integer::sum);
                if ("access.restored".equals(new String(r.headers().lastHeader("ce_type").value()))
                        && new String(r.key()).startsWith("soon-")) {
                    restored.merge(new String(r.key()), 1, Integer::sum);
                }
            }
            duplicatesBeforeFailover = ids.values().stream().filter(n -> n > 1).count();
            System.out.printf("reliability replicas: consumed a=%.0f b=%.0f; time-driven access.restored for %d of 60"
                    + " policies, each published %s; duplicate ids in normal operation=%d%n", consumedA, consumedB,
                    restored.size(), restored.values().stream().distinct().toList(), duplicatesBeforeFailover);
            assertThat(consumedA).as("replica a took part").isGreaterThan(0);
            assertThat(consumedB).as("replica b took part").isGreaterThan(0);
            assertThat(restored).hasSize(60);
            assertThat(restored.values()).containsOnly(1);
            assertThat(duplicatesBeforeFailover).as("outbox published twice in normal operation").isZero();

            // failover: a second stream, and replica a killed in the middle of it
            Workload second = Workload.generate(Math.min(EVENTS, 8_000), Math.min(POLICIES, 400), SEED + 3, "fail");
            h.produce(second.records);
            long target = h.appliedCount() + second.applied / 3;
            while (h.appliedCount() < target) {
                Thread.sleep(20);
            }
            a.kill();
            Workload both = Workload.merge(first, second, soon.size());
            h.awaitCaughtUp(both, CATCH_UP, b);
            System.out.println("reliability replicas after SIGKILL of one: " + h.verify(both, List.of(b)));
            b.terminate(Duration.ofSeconds(20));
        }
    }

    @Test
    void sigtermTurnsReadinessDownDrainsAndExitsWithin20Seconds() throws Exception {
        Workload w = Workload.generate(Math.min(EVENTS, 10_000), Math.min(POLICIES, 500), SEED + 4, "term");
        try (Harness h = new Harness(3)) {
            int half = w.records.size() / 2;
            h.produce(w.records.subList(0, half));
            ServiceProcess service = h.service("graceful");
            service.start();
            service.awaitReady(READY);
            // the rest keeps coming during the stop, so that the consumer is stopped with records to read
            PacedSender rest = PacedSender.start(h, w.records.subList(half, w.records.size()), Duration.ofSeconds(10));
            while (h.appliedCount() < w.applied / 3) {
                Thread.sleep(20);
            }
            AtomicBoolean sawNotReady = new AtomicBoolean();
            Thread watcher = new Thread(() -> {
                while (service.isAlive()) {
                    int status = service.status("/q/health/ready");
                    if (status == 503) {
                        sawNotReady.set(true);
                        return;
                    }
                    if (status == -1) {
                        return; // already closed
                    }
                }
            });
            watcher.start();
            Duration exit = service.terminate(Duration.ofSeconds(20));
            watcher.join();
            rest.join(Duration.ofSeconds(30));
            h.flush();
            long outboxLeft = h.count("SELECT count(*) FROM outbox");
            long appliedAtExit = h.appliedCount();
            System.out.printf("reliability SIGTERM: exited in %d ms, readiness DOWN before exit: %s, outbox rows left:"
                    + " %d, applied at exit: %d of %d%n", exit.toMillis(), sawNotReady.get(), outboxLeft, appliedAtExit,
                    w.applied);
            // A stop is routine (every rolling update): the batch fetched but not started is left
            // uncommitted in one INFO line, not nacked record by record (it logged 500 ERROR and 500
            // WARN lines for a 500-record batch).
            List<String> errors = service.logLines("ERROR");
            System.out.printf("reliability SIGTERM: log lines of the stop under traffic: %d ERROR, %d WARN%n",
                    errors.size(), service.logLines("WARN").size());
            assertThat(sawNotReady.get()).as("readiness reported DOWN during shutdown").isTrue();
            assertThat(outboxLeft).as("outbox flushed at shutdown").isZero();
            assertThat(errors).as("ERROR lines logged by a stop under traffic").isEmpty();
            // The offsets of everything applied before the stop are committed by it, so the restart
            // reads nothing again that the store already holds.
            Map<Integer, long[]> offsets = h.storedVersusCommitted();
            System.out.printf("reliability SIGTERM: per partition, next offset not stored / committed: %s%n",
                    offsets.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()[0] + "/" + e.getValue()[1])
                            .toList());
            assertThat(offsets).as("records stored before the stop").isNotEmpty();
            offsets.forEach((partition, pair) -> assertThat(pair[1])
                    .as("offset committed at shutdown, partition %d", partition).isGreaterThanOrEqualTo(pair[0]));

            service.start();
            service.awaitReady(READY);
            h.awaitCaughtUp(w, CATCH_UP, service);
            double reread = service.metric("moratorium_events_consumed_total{result=\"duplicate\"}")
                    - 0; // every duplicate seen after restart, intentional ones included
            System.out.println("reliability SIGTERM restart (seed " + SEED + "): " + h.verify(w, List.of(service))
                    + " duplicates_seen_after_restart=" + (long) reread);
            // an idle stop: nothing in flight, every partition assigned
            Duration idleExit = service.terminate(Duration.ofSeconds(20));
            Map<Integer, long[]> idleOffsets = h.storedVersusCommitted();
            System.out.printf("reliability SIGTERM when idle: exited in %d ms%n", idleExit.toMillis());
            idleOffsets.forEach((partition, pair) -> assertThat(pair[1])
                    .as("offset committed by an idle stop, partition %d", partition).isGreaterThanOrEqualTo(pair[0]));
        }
    }

    /** Until each replica's consumer holds some of the topic's partitions and together all of them. */
    private static void awaitBothAssigned(ServiceProcess a, ServiceProcess b) throws Exception {
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            double assignedA = a.metric(ASSIGNED);
            double assignedB = b.metric(ASSIGNED);
            if (assignedA > 0 && assignedB > 0 && assignedA + assignedB == REPLICA_PARTITIONS) {
                return;
            }
            assertThat(System.nanoTime()).as("partitions assigned to both replicas (a=%s, b=%s)", assignedA, assignedB)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static final String ASSIGNED = "kafka_consumer_coordinator_assigned_partitions";
    private static final int REPLICA_PARTITIONS = 6;
}
