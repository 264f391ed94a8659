package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.wire.EventTimes;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The digit-by-digit reading of the two common shapes gives exactly what java.time's formatters give. */
class EventTimesTest {

    @Test
    void commonShapes() {
        assertThat(EventTimes.parse("2020-06-10")).contains(Instant.parse("2020-06-10T00:00:00Z"));
        assertThat(EventTimes.parse("2021-03-15T12:30:00Z")).contains(Instant.parse("2021-03-15T12:30:00Z"));
        assertThat(EventTimes.parse("2021-03-15T12:30:00.250+02:00")).contains(Instant.parse("2021-03-15T10:30:00.250Z"));
        assertThat(EventTimes.parse("2021-02-30")).isEmpty();
        assertThat(EventTimes.parse("2021-02-28T24:00:00Z")).isEmpty();
        assertThat(EventTimes.parse("2021-02-28T23:59:60Z")).isEmpty();
        assertThat(EventTimes.parse("yesterday")).isEmpty();
        assertThat(EventTimes.parse(null)).isEmpty();
    }

    /** Random strings of the two shapes and near them: valid, out of range, mutated. */
    @Test
    void agreesWithTheFormatters() {
        Random random = new Random(7);
        String noise = "0123456789-:TZtz+. x\u0660";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder b = new StringBuilder(String.format("%04d-%02d-%02d", random.nextInt(10_000),
                    random.nextInt(14), random.nextInt(33)));
            if (random.nextBoolean()) {
                b.append(String.format("T%02d:%02d:%02dZ", random.nextInt(26), random.nextInt(62), random.nextInt(62)));
            }
            for (int m = random.nextInt(3); m > 0; m--) { // mutate a character now and then
                b.setCharAt(random.nextInt(b.length()), noise.charAt(random.nextInt(noise.length())));
            }
            String text = b.toString();
            assertThat(EventTimes.parse(text)).as(text).isEqualTo(reference(text));
        }
    }

    /** What EventTimes did before the fast paths: a date, else an ISO offset date-time, via the formatters. */
    private static Optional<Instant> reference(String text) {
        try {
            if (text.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return Optional.of(LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant());
            }
            return Optional.of(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
