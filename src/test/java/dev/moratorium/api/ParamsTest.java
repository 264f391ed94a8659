package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Numbers in a query or a path: one spelling each, ASCII digits; instants in the years RFC 3339 writes. */
class ParamsTest {

    @Test
    void numbersAreAsciiDigits() {
        assertThat(Params.integer("limit", "500", 100, 1, 500)).isEqualTo(500);
        assertThat(Params.integer("limit", " 7 ", 100, 1, 500)).isEqualTo(7);
        assertThat(Params.integer("limit", null, 100, 1, 500)).isEqualTo(100);
        assertThat(Params.integer("limit", "", 100, 1, 500)).isEqualTo(100);
        assertThat(Params.cursor("after", "0")).isZero();
        assertThat(Params.cursor("after", "9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Params.cursor("after", null)).isZero();
    }

    @Test
    void otherSpellingsOfANumberAreRefused() {
        // full-width, Arabic-Indic, Devanagari and mathematical digits: parseInt reads each as 500 or 5
        for (String other : new String[] {"\uFF15\uFF10\uFF10", "\u0665\u0660\u0660", "\u096B", "+5", "-0", "5\u200B",
                "\u200B5", "5 0", "0x10", "1e2", "5.0", "\uFF0B5"}) {
            assertThatThrownBy(() -> Params.integer("limit", other, 100, 1, 500)).as(other)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.getMessage()).isEqualTo("limit must be a whole number between 1 and 500");
                    });
            assertThatThrownBy(() -> Params.cursor("after", other)).as(other)
                    .isInstanceOfSatisfying(ApiException.class, e ->
                            assertThat(e.getMessage()).isEqualTo("after must be a sequence number (0 or more)"));
        }
    }

    @Test
    void outOfRangeIsRefused() {
        assertThatThrownBy(() -> Params.integer("limit", "501", 100, 1, 500)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.getMessage()).isEqualTo("limit must be between 1 and 500"));
        assertThatThrownBy(() -> Params.integer("limit", "99999999999", 100, 1, 500)).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> Params.cursor("after", "9223372036854775808")).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> Params.cursor("after", "-1")).isInstanceOf(ApiException.class);
    }

    @Test
    void instantsAreReadInTheYearsRfc3339Writes() {
        Instant now = Instant.parse("2026-12-07T00:00:00Z");
        assertThat(Params.instant("at", null, now)).isEqualTo(now);
        assertThat(Params.instant("at", " ", now)).isEqualTo(now);
        assertThat(Params.instant("at", "0000-01-01", now)).isEqualTo(Instant.parse("0000-01-01T00:00:00Z"));
        assertThat(Params.instant("at", "9999-12-31T23:59:59.9999999Z", now))
                .isEqualTo(Instant.parse("9999-12-31T23:59:59.999999Z"));
        assertThat(Params.instant("at", "9999-12-31T23:59:59+00:00", now)).isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
        // in range as written, out of it once the offset is applied; and the years java.time reads beyond RFC 3339
        for (String outside : new String[] {"0000-01-01T00:00:00+01:00", "-0001-12-31T23:59:59Z",
                "9999-12-31T23:00:00-05:00", "+10000-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z",
                "-999999999-01-01T00:00:00+18:00"}) {
            assertThatThrownBy(() -> Params.instant("asOf", outside, now)).as(outside)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.getMessage()).isEqualTo("asOf \"" + outside
                                + "\" is outside the years RFC 3339 writes, 0000 to 9999");
                    });
        }
    }

    @Test
    void anOffsetsPlusLeftUnencodedIsNamed() {
        Instant now = Instant.parse("2026-12-07T00:00:00Z");
        // what at=2020-06-11T00:00:00+02:00, written into a URL as it is, arrives as
        assertThatThrownBy(() -> Params.instant("at", "2020-06-11T00:00:00 02:00", now))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "at \"2020-06-11T00:00:00 02:00\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp: a + in a"
                                + " URL's query is read as a space, so write the offset +02:00 as %2B02:00"));
        assertThatThrownBy(() -> Params.instant("asOf", "2020-06-11T00:00:00.5 05:30", now))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).endsWith(
                        "write the offset +05:30 as %2B05:30"));
        // other malformed instants get no such hint
        assertThatThrownBy(() -> Params.instant("at", "2020-06-11 02:00", now))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "at \"2020-06-11 02:00\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"));
        assertThat(Params.instant("at", "2020-06-11T00:00:00+02:00", now)).isEqualTo(Instant.parse("2020-06-10T22:00:00Z"));
    }
}
