package dev.moratorium.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.Events;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A restart with the same {@code MORATORIUM_CLOCK_START} sets the service clock back. Time must not
 * go back for a policy: a reminder sent before the restart is not sent again (once its
 * deterministic id would collide, every later time-driven change of the cluster stopped), and the
 * other policies' time-driven changes go on.
 */
class ClockRestartIT {

    /** 15 s before the 30-day reminder of a moratorium ending 2021-06-10. */
    private static final String CLOCK_START = "2021-05-10T23:59:45Z";

    @Test
    void aRestartWithTheSameClockStartSendsNoReminderTwiceAndTimeDrivenWorkGoesOn() throws Exception {
        try (Harness h = new Harness(1)) {
            ServiceProcess service = h.service("clock-restart", h.postgres.jdbcUrl(),
                    Map.of("MORATORIUM_CLOCK_START", CLOCK_START));
            restartWithTheSameClock(h, service); // a failed check leaves no service running: the harness kills it
        }
    }

    private static void restartWithTheSameClock(Harness h, ServiceProcess service) throws Exception {
        h.send(rec("amazon", Events.timedEvent("amazon-announced", "moratorium.announced", "2020-06-10T00:00:00Z",
                "{\"policyId\":\"amazon\",\"vendor\":\"Amazon\",\"product\":\"Rekognition\",\"segments\":[\"police\"],"
                        + "\"effectiveFrom\":\"2020-06-10\",\"effectiveUntil\":\"2021-06-10\"}")));
        h.flush();
        service.start();
        service.awaitReady(Duration.ofSeconds(90));
        awaitCount(h, "SELECT count(*) FROM notification WHERE type = 'access.expiry-approaching'", 1,
                Duration.ofSeconds(60));
        service.terminate(Duration.ofSeconds(20));

        service.start(); // the same clock start: the clock reads 15 s before the reminder again
        service.awaitReady(Duration.ofSeconds(90));
        h.send(rec("amazon", Events.event("thorn-granted", "moratorium.exemption-granted",
                "{\"policyId\":\"amazon\",\"organization\":\"Thorn\"}")));
        // a policy whose end comes after the reminder's moment on the restarted clock
        h.send(rec("acme", Events.event("acme-announced", "moratorium.announced",
                "{\"policyId\":\"acme\",\"vendor\":\"Acme\",\"product\":\"Vision\",\"segments\":[\"police\"],"
                        + "\"effectiveFrom\":\"2021-01-01\",\"effectiveUntil\":\"2021-05-11T00:00:25Z\"}")));
        h.flush();
        awaitCount(h, "SELECT count(*) FROM notification WHERE policy_id = 'acme' AND type = 'access.restored'", 1,
                Duration.ofSeconds(90));
        awaitCount(h, "SELECT count(*) FROM outbox", 0, Duration.ofSeconds(30));

        assertThat(h.count("SELECT count(*) FROM notification WHERE type = 'access.expiry-approaching'")).isEqualTo(1);
        assertThat(h.count("SELECT count(*) FROM exemption WHERE policy_id = 'amazon'")).isEqualTo(1);
        long reminders = h.readTopic("moratorium-notifications").stream()
                .filter(r -> "access.expiry-approaching".equals(header(r.headers().lastHeader("ce_type"))))
                .map(r -> header(r.headers().lastHeader("ce_id"))).distinct().count();
        assertThat(reminders).isEqualTo(1);
        String log = Files.readString(Path.of("target/reliability/clock-restart-2.log"));
        assertThat(log).doesNotContain("duplicate key").doesNotContain("Time-driven changes not applied");
        System.out.println("reliability clock restart: reminders sent=1, time-driven changes after restart applied,"
                + " duplicate-key failures=0");
        service.terminate(Duration.ofSeconds(20));
    }

    private static Workload.Rec rec(String key, String event) {
        return new Workload.Rec(key, event.getBytes(StandardCharsets.UTF_8), "applied");
    }

    private static String header(org.apache.kafka.common.header.Header h) {
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void awaitCount(Harness h, String sql, long expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long n = -1;
        while (System.nanoTime() < deadline) {
            n = h.count(sql);
            if (n == expected) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("expected " + expected + " from " + sql + " within " + timeout + ", got " + n);
    }
}
