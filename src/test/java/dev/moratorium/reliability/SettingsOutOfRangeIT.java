package dev.moratorium.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.Events;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The packaged service, given settings out of their range as an operator would (environment
 * variables), does not start: it exits with every such setting named, before it reads a record.
 * Without the check, {@code MORATORIUM_WRITERS_LOCK_TIMEOUT=0s} started a service whose writers
 * wait on the writers' lock for ever (PostgreSQL's {@code lock_timeout = 0}), and
 * {@code MORATORIUM_OUTBOX_BATCH_SIZE=0} one that publishes nothing.
 */
class SettingsOutOfRangeIT {

    @Test
    void settingsOutOfRangeStopTheStartNamingEachBeforeARecordIsRead() throws Exception {
        Path scratch;
        try (Harness h = new Harness(1)) {
            scratch = h.dir;
            h.produce(List.of(new Workload.Rec("amazon", Events.announce("amazon-announced", "amazon", "2020-06-10",
                    "2021-06-10").getBytes(StandardCharsets.UTF_8), "applied")));
            ServiceProcess service = h.service("settings-out-of-range", h.postgres.jdbcUrl(), Map.of(
                    "MORATORIUM_WRITERS_LOCK_TIMEOUT", "0s",
                    "MORATORIUM_OUTBOX_BATCH_SIZE", "0",
                    "MORATORIUM_WEBHOOKS_MAX_SUBSCRIPTIONS", "-1",
                    "MORATORIUM_OUTBOX_ACK_TIMEOUT", "50s")); // in range alone, but not shorter than the lease
            service.start();
            OptionalInt exit = service.awaitExit(Duration.ofSeconds(90));
            assertThat(exit).as("the service exits by itself").isPresent();
            assertThat(exit.getAsInt()).isNotZero();
            assertThat(service.logText())
                    .contains("4 settings are out of range")
                    .contains("moratorium.writers.lock-timeout is PT0S; it must be at least 1ms (0 would mean no limit at all)")
                    .contains("moratorium.outbox.batch-size is 0; it must be at least 1")
                    .contains("moratorium.webhooks.max-subscriptions is -1; it must be at least 0")
                    .contains("moratorium.outbox.lease (PT45S) must be longer than moratorium.outbox.ack-timeout (PT50S)");
            assertThat(h.count("SELECT count(*) FROM policy_event")).as("no record read").isZero();
            System.out.println("reliability settings out of range: exit " + exit.getAsInt() + ", 4 settings named, 0 records read");
        }
        // the broker's log and the database: a harness left them in /tmp, hundreds of MB a test, before
        assertThat(scratch).as("the harness's directory, once it is closed").doesNotExist();
    }
}
