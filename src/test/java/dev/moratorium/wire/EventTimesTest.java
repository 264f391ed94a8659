package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.wire.EventTimes;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
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
            String text = mutated(b, random, noise, random.nextInt(3));
            assertThat(EventTimes.parse(text)).as(text).isEqualTo(reference(text));
        }
    }

    /** Random RFC 3339 date-times the formatter also reads (fractions, offsets up to ±18:00): the same instant, cut to microseconds. */
    @Test
    void agreesWithTheFormatterOnFractionsAndOffsets() {
        Random random = new Random(11);
        for (int i = 0; i < 100_000; i++) {
            String text = mutated(withFractionAndOffset(random), random, "0123456789-:TZtz+. ", random.nextInt(5) == 0 ? 1 : 0);
            Optional<Instant> expected = reference(text).map(t -> t.truncatedTo(ChronoUnit.MICROS));
            if (expected.isPresent() || !beyondTheFormatter(text)) {
                assertThat(EventTimes.parse(text)).as(text).isEqualTo(expected);
            }
        }
    }

    /** A valid date-time with 0 to 9 digits of a second and {@code Z} or an offset up to ±18:59. */
    private static StringBuilder withFractionAndOffset(Random random) {
        StringBuilder b = new StringBuilder(String.format("%04d-%02d-%02dT%02d:%02d:%02d", random.nextInt(10_000),
                1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24), random.nextInt(60), random.nextInt(60)));
        int digits = random.nextInt(10);
        if (digits > 0) {
            b.append('.');
            for (int d = 0; d < digits; d++) {
                b.append((char) ('0' + random.nextInt(10)));
            }
        }
        return b.append(random.nextInt(4) == 0 ? "Z" : String.format("%s%02d:%02d", random.nextBoolean() ? "+" : "-",
                random.nextInt(19), random.nextInt(60)));
    }

    /** The text with {@code times} characters replaced by ones of {@code noise}: near misses of the shape. */
    private static String mutated(StringBuilder b, Random random, String noise, int times) {
        for (int m = times; m > 0; m--) {
            b.setCharAt(random.nextInt(b.length()), noise.charAt(random.nextInt(noise.length())));
        }
        return b.toString();
    }

    /** What RFC 3339 allows and java.time's formatter does not: an offset past ±18:00, a leap second. */
    private static boolean beyondTheFormatter(String text) {
        return text.matches(".*[+-](1[89]|2[0-3]):\\d\\d") || text.matches("\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:60.*");
    }

    /**
     * All of RFC 3339's date-time, also what java.time's formatter refuses, and every instant cut to
     * the microsecond the store keeps (an instant PostgreSQL would round was published unrounded).
     */
    @Test
    void theStoredRangeEndsAtTheEdgesOfYears1And9999EvenForALeapSecond() {
        assertThat(EventTimes.isStorable(EventTimes.parse("9999-12-31T23:59:60.9999999Z").orElseThrow())).isTrue();
        assertThat(EventTimes.isStorable(EventTimes.parse("0001-01-01T00:00:00Z").orElseThrow())).isTrue();
        assertThat(EventTimes.isStorable(EventTimes.parse("0000-12-31T23:59:60.999999Z").orElseThrow())).isFalse();
        assertThat(EventTimes.isStorable(EventTimes.parse("0001-01-01T00:00:00+00:01").orElseThrow())).isFalse();
        assertThat(EventTimes.isStorable(EventTimes.parse("9999-12-31T23:59:59-00:01").orElseThrow())).isFalse();
    }

    @Test
    void rfc3339BeyondTheFormatterAndMicroseconds() {
        String[][] cases = { // the text, and the instant it is read as (null: refused)
                // more than microseconds: cut, never rounded (rounding would carry these into the next second, year, or past the range)
                {"2030-01-01T00:00:00.9999996Z", "2030-01-01T00:00:00.999999Z"},
                {"2020-01-01T00:00:00.123456789Z", "2020-01-01T00:00:00.123456Z"},
                {"9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.999999Z"},
                {"9999-12-31T23:59:59.999999999999Z", "9999-12-31T23:59:59.999999Z"},
                {"2030-01-01T00:00:00.000000001Z", "2030-01-01T00:00:00Z"},
                // RFC 3339 puts no bound on the digits of a second; java.time's formatter stops at nine
                {"2020-01-01T00:00:00.1234567891Z", "2020-01-01T00:00:00.123456Z"},
                {"2020-01-01T00:00:00.5Z", "2020-01-01T00:00:00.500Z"},
                // offsets: RFC 3339 allows hours 00-23, java.time only up to 18
                {"2020-01-01T00:00:00-23:59", "2020-01-01T23:59:00Z"},
                {"2020-01-01T00:00:00+23:59", "2019-12-31T00:01:00Z"},
                {"2020-01-01T00:00:00.25+05:45", "2019-12-31T18:15:00.250Z"},
                {"2020-01-01T00:00:00-00:00", "2020-01-01T00:00:00Z"},
                {"2020-01-01T00:00:00+24:00", null},
                {"2020-01-01T00:00:00+01:60", null},
                {"2020-01-01T00:00:00+0100", null},
                {"2020-01-01T00:00:00", null},
                // lower-case T and Z (RFC 3339, section 5.6)
                {"2020-01-01t10:00:00.5z", "2020-01-01T10:00:00.500Z"},
                // a leap second is the last second of a UTC day, read as 23:59:59 and its fraction (as Instant.parse)
                {"2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"},
                {"2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.500Z"},
                {"2017-01-01T05:29:60+05:30", "2016-12-31T23:59:59Z"},
                {"2016-12-31T18:59:60-05:00", "2016-12-31T23:59:59Z"},
                {"2016-12-31T23:58:60Z", null},
                {"2016-12-31T23:59:60+01:00", null},
                {"2016-12-31T23:59:61Z", null},
                // the last second the contract allows, leaping: still inside the calendar, and cut, not rounded past it
                {"9999-12-31T23:59:60.9999999Z", "9999-12-31T23:59:59.999999Z"},
                // year 0000 is RFC 3339 and is read; the store's range then refuses it (below)
                {"0000-12-31T23:59:60Z", "0000-12-31T23:59:59Z"},
                // the calendar still decides
                {"2021-02-29T00:00:00.5Z", null},
                {"2021-01-01T24:00:00.5Z", null},
                // shapes beyond RFC 3339 that the formatter has always read still are, cut to microseconds
                {"2020-06-10T12:30Z", "2020-06-10T12:30:00Z"},
                {"2020-06-10T12:30:00.Z", "2020-06-10T12:30:00Z"},
                {"2020-06-10T12:30:00.1234567+01:00:30", "2020-06-10T11:29:30.123456Z"},
        };
        for (String[] c : cases) {
            assertThat(EventTimes.parse(c[0])).as(c[0]).isEqualTo(Optional.ofNullable(c[1]).map(Instant::parse));
        }
    }

    /** What EventTimes did before the fast paths: a date, else an ISO offset date-time, via the formatters. */
    private static Optional<Instant> reference(String text) {
        if (text.matches("\\d{4}-\\d{2}-\\d{2}T23:59:60Z")) { // a leap second, which the formatter refuses
            return reference(text.replace("T23:59:60Z", "T23:59:59Z"));
        }
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
