package dev.moratorium.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimeTextTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "2020-06-10T00:00:00Z,       2020-06-10",
            "2021-06-10T00:00:00Z,       2021-06-10",
            "2020-06-10T22:00:00Z,       2020-06-10T22:00:00Z",
            "2020-06-10T00:00:01Z,       2020-06-10T00:00:01Z",
            "2020-06-10T00:00:00.001Z,   2020-06-10T00:00:00Z",
            "2020-06-10T12:30:45.987Z,   2020-06-10T12:30:45Z",
            "2020-06-09T23:59:59Z,       2020-06-09T23:59:59Z"
    })
    void instants(String instant, String expected) {
        String text = TimeText.of(Instant.parse(instant));
        assertThat(text).isEqualTo(expected);
        if (text.contains("T")) {
            // full RFC 3339: an offset is always present and it parses back
            assertThat(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant())
                    .isEqualTo(Instant.parse(instant).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "P1D,     1 day",
            "P7D,     7 days",
            "P30D,    30 days",
            "PT24H,   1 day",
            "PT12H,   12 hours",
            "PT1H,    1 hour",
            "PT36H,   36 hours",
            "PT30M,   30 minutes",
            "PT1M,    1 minute",
            "PT90M,   90 minutes"
    })
    void durations(String duration, String expected) {
        assertThat(TimeText.of(Duration.parse(duration))).isEqualTo(expected);
    }
}
