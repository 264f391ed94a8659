package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A failure that repeats, as an outage makes it: a few lines at WARN and INFO, not one per attempt. */
class RepeatedFailureLogTest {

    private final List<String> lines = new ArrayList<>();
    private long now = 1_000_000_000L;
    private final RepeatedFailureLog log = new RepeatedFailureLog(new RepeatedFailureLog.Sink() {
        @Override
        public void warn(String line) {
            lines.add("WARN " + line);
        }

        @Override
        public void info(String line) {
            lines.add("INFO " + line);
        }

        @Override
        public void debug(String line) {
            lines.add("DEBUG " + line);
        }
    }, "Feed not read", Duration.ofMinutes(1), () -> now);

    private void at(double seconds) {
        now = 1_000_000_000L + (long) (seconds * 1e9);
    }

    private List<String> at(String level) {
        return lines.stream().filter(l -> l.startsWith(level + " ")).toList();
    }

    @Test
    void aFiveMinuteOutageIsOneWarningAMinuteAndOneRecovery() {
        // one attempt every 2 s for five minutes (150 failures), then a success
        for (int i = 0; i < 150; i++) {
            at(i * 2);
            log.failed("retrying in 2000 ms: connection refused #" + i);
        }
        at(300);
        log.succeeded();

        assertThat(at("WARN")).containsExactly(
                "WARN Feed not read: retrying in 2000 ms: connection refused #0",
                "WARN Feed not read, still: 30 more failed attempts in 60 s (31 since the first, 60 s ago); last: retrying in 2000 ms: connection refused #30",
                "WARN Feed not read, still: 30 more failed attempts in 60 s (61 since the first, 120 s ago); last: retrying in 2000 ms: connection refused #60",
                "WARN Feed not read, still: 30 more failed attempts in 60 s (91 since the first, 180 s ago); last: retrying in 2000 ms: connection refused #90",
                "WARN Feed not read, still: 30 more failed attempts in 60 s (121 since the first, 240 s ago); last: retrying in 2000 ms: connection refused #120");
        assertThat(at("INFO")).containsExactly("INFO Feed not read: recovered after 150 failed attempts over 300 s");
        assertThat(at("DEBUG")).as("every other attempt is still there, at DEBUG").hasSize(150 - 5);
    }

    @Test
    void aSuccessWithoutAFailureSaysNothingAndANewSpellStartsWithAWarning() {
        log.succeeded();
        assertThat(lines).isEmpty();

        at(1);
        log.failed("first");
        at(2);
        log.succeeded();
        at(3);
        log.succeeded();
        at(4);
        log.failed("second");

        assertThat(lines).containsExactly(
                "WARN Feed not read: first",
                "INFO Feed not read: recovered after 1 failed attempt over 1 s",
                "WARN Feed not read: second");
    }

    @Test
    void sparseFailuresEachMoreThanAMinuteApartAreEachReported() {
        at(0);
        log.failed("a");
        at(61);
        log.failed("b");
        at(200);
        log.failed("c");

        assertThat(at("WARN")).containsExactly(
                "WARN Feed not read: a",
                "WARN Feed not read, still: 1 more failed attempt in 61 s (2 since the first, 61 s ago); last: b",
                "WARN Feed not read, still: 1 more failed attempt in 139 s (3 since the first, 200 s ago); last: c");
    }
}
