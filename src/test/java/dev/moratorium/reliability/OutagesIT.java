package dev.moratorium.reliability;

import static dev.moratorium.reliability.RunSettings.CATCH_UP;
import static dev.moratorium.reliability.RunSettings.EVENTS;
import static dev.moratorium.reliability.RunSettings.POLICIES;
import static dev.moratorium.reliability.RunSettings.READY;
import static dev.moratorium.reliability.RunSettings.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The broker, then the database, down for longer than any timeout of the service's while events
 * keep coming, around the packaged service: readiness goes down and comes back, liveness stays up,
 * and every event sent meanwhile is applied once. A class of its own, apart from
 * {@link ReliabilityIT}, because most of its time is the outages' waiting: failsafe runs it in the
 * second fork beside the others.
 */
class OutagesIT {

    /**
     * How long the broker and the database are each down: in CI 75 s, longer than every timeout of
     * the service's that an outage could trip (the 60 s idle and unprocessed-record limits, the 45 s
     * lease) and short enough to keep CI under 30 minutes; reliability/run-full makes it 300, past
     * the consumer's 5-minute poll interval.
     */
    private static final Duration OUTAGE = Duration.ofSeconds(Integer.getInteger("reliability.outage.seconds", 75));
    /**
     * From a dependency being back to every event sent during its outage stored. The goal is 10 s
     * (printed); the bound asserted is looser because the 2 shared cores of the machines this runs
     * on make the figure noisy.
     */
    private static final Duration CATCH_UP_GOAL = Duration.ofSeconds(10);
    private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(
            Integer.getInteger("reliability.catch-up-bound.seconds", 30));

    /** WARN lines a minute of database outage may log, all loops together (about 6 loops, 2 lines each). */
    private static final int WARNINGS_PER_OUTAGE_MINUTE = 30;

    @Test
    void brokerAndDatabaseOutagesTurnReadinessDownAndLoseNothing() throws Exception {
        Workload w = Workload.generate(Math.min(EVENTS, 6_000), Math.min(POLICIES, 300), SEED + 1, "outage");
        // before, during the broker outage, between, during the database outage, after
        List<List<Workload.Rec>> slices = slices(w.records, 0.2, 0.3, 0.1, 0.3);
        try (Harness h = new Harness(3, OUTAGE.plus(Duration.ofMinutes(3)))) {
            ServiceProcess service = h.service("outage");
            service.start();
            service.awaitReady(READY);
            h.produce(slices.get(0));
            // normal operation first: the outage begins with the consumer in its group and caught up
            h.awaitStored(applied(slices, 1), rejected(slices, 1), CATCH_UP, service);

            h.kafka.close();
            // events keep coming during the whole outage: the producer holds them until the broker is back
            PacedSender duringBroker = PacedSender.start(h, slices.get(1), OUTAGE.multipliedBy(9).dividedBy(10));
            HealthWatch kafka = HealthWatch.during(service, OUTAGE);
            duringBroker.join(Duration.ofSeconds(30));
            h.startKafka();
            Duration kafkaCatchUp = h.awaitStored(applied(slices, 2), rejected(slices, 2), CATCH_UP, service);
            service.awaitReady(READY);

            h.produce(slices.get(2));
            int warningsBefore = service.logLines("WARN").size();
            int errorsBefore = service.logLines("ERROR").size();
            h.postgres.close();
            PacedSender duringDatabase = PacedSender.start(h, slices.get(3), OUTAGE.multipliedBy(9).dividedBy(10));
            HealthWatch database = HealthWatch.during(service, OUTAGE);
            duringDatabase.join(Duration.ofSeconds(30));
            h.flush();
            h.startPostgres();
            Duration databaseCatchUp = h.awaitStored(applied(slices, 4), rejected(slices, 4), CATCH_UP, service);
            service.awaitReady(READY);
            List<String> outageWarnings = service.logLines("WARN");
            outageWarnings = outageWarnings.subList(warningsBefore, outageWarnings.size());
            List<String> outageErrors = service.logLines("ERROR");
            outageErrors = outageErrors.subList(errorsBefore, outageErrors.size());
            List<String> recoveries = service.logLines("INFO").stream().filter(l -> l.contains(": recovered after "))
                    .toList();

            h.produce(slices.get(4));
            h.awaitCaughtUp(w, CATCH_UP, service);
            String figures = h.verify(w, List.of(service));
            // the seed printed is -Dreliability.seed's value, which runs this workload again
            System.out.printf("reliability outages (seed %d): broker down %d s (%s; %d events sent meanwhile,"
                    + " all applied %.1f s after it was back), database down %d s (%s; %d events sent meanwhile,"
                    + " all applied %.1f s after it was back); catch-up goal %d s, bound %d s; %s%n", SEED,
                    OUTAGE.toSeconds(), kafka, slices.get(1).size(), kafkaCatchUp.toMillis() / 1000.0,
                    OUTAGE.toSeconds(), database,
                    slices.get(3).size(), databaseCatchUp.toMillis() / 1000.0, CATCH_UP_GOAL.toSeconds(),
                    CATCH_UP_BOUND.toSeconds(), figures);
            System.out.printf("reliability outages: %d WARN lines during the database outage, by logger %s; %d ERROR"
                    + " lines, by logger %s; %d recovery lines%n", outageWarnings.size(), byLogger(outageWarnings),
                    outageErrors.size(), byLogger(outageErrors), recoveries.size());
            // One line at the start of each retrying loop's failing spell and one a minute while it lasts
            // (wire.RepeatedFailureLog), not one per attempt and thread: ~1,900 lines before.
            assertThat(outageWarnings).as("the log of a %d s database outage", OUTAGE.toSeconds())
                    .hasSizeLessThanOrEqualTo(WARNINGS_PER_OUTAGE_MINUTE * (int) (OUTAGE.toMinutes() + 1));
            assertThat(recoveries).as("each loop that failed says when it works again").isNotEmpty();
            // an outage is a WARN: an ERROR (a scheduled task's stack trace every 5 s, until session 19) pages someone
            assertThat(outageErrors).as("ERROR lines during the database outage").isEmpty();
            assertThat(kafka.readinessWentDown()).as("readiness DOWN while the broker is down").isTrue();
            assertThat(database.readinessWentDown()).as("readiness DOWN while the database is down").isTrue();
            assertThat(kafka.livenessAlwaysUp()).as("liveness UP all through the broker outage").isTrue();
            assertThat(database.livenessAlwaysUp()).as("liveness UP all through the database outage").isTrue();
            // the deployment's liveness probe counts an answer slower than its timeoutSeconds (3 s) as a failure
            assertThat(kafka.slowestLivenessMillis).as("liveness answer during the broker outage, ms").isLessThan(3_000);
            assertThat(database.slowestLivenessMillis).as("liveness answer during the database outage, ms").isLessThan(3_000);
            assertThat(kafkaCatchUp).as("catch-up after the broker outage").isLessThanOrEqualTo(CATCH_UP_BOUND);
            assertThat(databaseCatchUp).as("catch-up after the database outage").isLessThanOrEqualTo(CATCH_UP_BOUND);
            service.terminate(Duration.ofSeconds(20));
        }
    }

    /** The loggers of JSON log lines, with how many lines each. */
    private static Map<String, Long> byLogger(List<String> lines) {
        return lines.stream().collect(Collectors.groupingBy(
                l -> l.replaceFirst(".*\"loggerName\":\"([^\"]*)\".*", "$1"), TreeMap::new, Collectors.counting()));
    }

    /** Consecutive slices of {@code records} with the given fractions; the last slice takes the rest. */
    private static List<List<Workload.Rec>> slices(List<Workload.Rec> records, double... fractions) {
        List<List<Workload.Rec>> slices = new ArrayList<>();
        int from = 0;
        for (double fraction : fractions) {
            int to = Math.min(records.size(), from + (int) Math.round(records.size() * fraction));
            slices.add(records.subList(from, to));
            from = to;
        }
        slices.add(records.subList(from, records.size()));
        return slices;
    }

    /** How many of the records in the first {@code n} slices are applied (each policy's records are in order). */
    private static long applied(List<List<Workload.Rec>> slices, int n) {
        return slices.subList(0, n).stream().flatMap(List::stream).filter(r -> r.expectation().equals("applied"))
                .count();
    }

    private static long rejected(List<List<Workload.Rec>> slices, int n) {
        return slices.subList(0, n).stream().flatMap(List::stream)
                .filter(r -> r.expectation().startsWith("rejected:")).count();
    }
}
