package dev.moratorium.wire;

import dev.moratorium.wire.Sanitize;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * The contract's times: a date {@code YYYY-MM-DD} (midnight UTC) or an RFC 3339 timestamp.
 *
 * <p>The two shapes callers send most — {@code 2020-12-01} and {@code 2021-03-15T12:30:00Z} — are
 * read digit by digit; java.time's formatter took most of an {@code /access?at=} request
 * (async-profiler). The result is the formatter's, checked by {@code EventTimesTest} on many
 * strings; every other shape goes to the formatter.
 */
public final class EventTimes {

    private static final String DATE_SHAPE = "dddd-dd-dd";
    private static final String UTC_SECONDS_SHAPE = "dddd-dd-ddTdd:dd:ddZ";

    /** The first instant the store holds faithfully: year 1 (PostgreSQL goes further back, java.time's calendar not as far). */
    public static final Instant MIN_STORED = Instant.parse("0001-01-01T00:00:00Z");
    /** The last instant kept: the end of year 9999, the last year RFC 3339 can write. */
    public static final Instant MAX_STORED = Instant.parse("9999-12-31T23:59:59.999999Z");

    private EventTimes() {
    }

    /** Whether the store can keep this instant (RFC 3339 allows years 0000–9999; java.time accepts ±999999999). */
    public static boolean isStorable(Instant instant) {
        return !instant.isBefore(MIN_STORED) && !instant.isAfter(MAX_STORED);
    }

    /** The sentence for an instant outside {@link #isStorable}: names the field and the limits. */
    public static String outOfRange(String field, String text) {
        return field + " \"" + Sanitize.forMessage(text) + "\" is outside the range the service keeps, 0001-01-01 to 9999-12-31";
    }

    public static Optional<Instant> parse(String text) {
        if (text == null || text.length() > 64) {
            return Optional.empty();
        }
        try {
            if (hasShape(text, DATE_SHAPE)) {
                return Optional.of(date(text).atStartOfDay(ZoneOffset.UTC).toInstant());
            }
            if (hasShape(text, UTC_SECONDS_SHAPE)) {
                return Optional.of(LocalDateTime.of(date(text), LocalTime.of(number(text, 11, 2),
                        number(text, 14, 2), number(text, 17, 2))).toInstant(ZoneOffset.UTC));
            }
            return Optional.of(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (DateTimeException e) { // a parse error, or a field out of range (month 13, 30 February)
            return Optional.empty();
        }
    }

    /** {@code d} stands for an ASCII digit; every other character must be itself. */
    private static boolean hasShape(String text, String shape) {
        if (text.length() != shape.length()) {
            return false;
        }
        for (int i = 0; i < shape.length(); i++) {
            char c = text.charAt(i);
            char s = shape.charAt(i);
            if (s == 'd' ? c < '0' || c > '9' : c != s) {
                return false;
            }
        }
        return true;
    }

    private static LocalDate date(String text) {
        return LocalDate.of(number(text, 0, 4), number(text, 5, 2), number(text, 8, 2));
    }

    private static int number(String text, int from, int digits) {
        int n = 0;
        for (int i = from; i < from + digits; i++) {
            n = n * 10 + (text.charAt(i) - '0');
        }
        return n;
    }
}
