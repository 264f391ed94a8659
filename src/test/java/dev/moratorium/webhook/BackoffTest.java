package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @ParameterizedTest(name = "failure {0}, random {1}: {2} ms")
    @CsvSource({
            "1, 1.0, 1000", "1, 0.0, 500", "2, 1.0, 2000", "3, 1.0, 4000", "3, 0.0, 2000",
            "10, 1.0, 60000", "10, 0.0, 30000", "1000, 1.0, 60000"})
    void doublesWithJitterUpToTheCap(int failures, double random, long millis) {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1), () -> random);
        assertThat(backoff.after(failures)).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void theReceiversRetryAfterWinsButNotBeyondTheCap() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1), () -> 1.0);
        assertThat(backoff.after(1, Optional.of(Duration.ofSeconds(7)))).isEqualTo(Duration.ofSeconds(7));
        assertThat(backoff.after(1, Optional.of(Duration.ofHours(7)))).isEqualTo(Duration.ofMinutes(1));
        assertThat(backoff.after(1, Optional.empty())).isEqualTo(Duration.ofSeconds(1));
    }

    /** Retry-After: 0, or a date gone by, had the request sent again at once, as fast as it was answered. */
    @Test
    void theReceiversRetryAfterIsNeverSoonerThanTheFirstDelay() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1), () -> 1.0);
        assertThat(backoff.after(1, Backoff.parseRetryAfter("0", NOW))).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.after(7, Backoff.parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", NOW)))
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.after(7, Optional.of(Duration.ofMillis(999)))).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.after(7, Optional.of(Duration.ofSeconds(2)))).as("a wish shorter than the backoff still wins")
                .isEqualTo(Duration.ofSeconds(2));
    }

    @ParameterizedTest(name = "Retry-After \"{0}\" -> {1} s")
    @CsvSource(delimiter = '|', value = {
            "120|120", "0|0", "' 5 '|5",
            "Thu, 01 Jan 2026 00:00:30 GMT|30",
            "Wed, 31 Dec 2025 23:00:00 GMT|0"})
    void retryAfterIsSecondsOrAnHttpDate(String value, long seconds) {
        assertThat(Backoff.parseRetryAfter(value, NOW)).contains(Duration.ofSeconds(seconds));
    }

    @ParameterizedTest
    @CsvSource({"soon", "-5", "+5", "1.5", "''", "\uFF15", "\u0665", "99999999999999999999"})
    void anUnreadableRetryAfterIsIgnored(String value) {
        assertThat(Backoff.parseRetryAfter(value, NOW)).isEmpty();
    }
}
