package dev.moratorium.wire;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The contract's times: a date {@code YYYY-MM-DD} (midnight UTC) or an RFC 3339 timestamp, kept to
 * the microsecond.
 *
 * <p>Microseconds, because that is what PostgreSQL keeps: an instant finer than that was rounded by
 * the store while the notifications and the state record carried it whole, so a policy announced
 * from {@code …00.9999996Z} was stored from the next second, and one from {@code …00.000000001Z}
 * until {@code …00.000000002Z} passed the interval rule and was stored as an empty interval. Every
 * instant read here is cut (not rounded: rounding could carry it into the next second, day or
 * past the last storable instant) to the microsecond, so what is checked, stored, published and
 * answered is one instant.
 *
 * <p>All of RFC 3339 is read, also what java.time's ISO formatter refuses: more than nine digits of
 * a second, offsets up to {@code ±23:59}, and a leap second ({@code 23:59:60} UTC, read as
 * {@code 23:59:59} and its fraction, as java.time's {@code Instant.parse} does). Shapes outside RFC
 * 3339 that the formatter has always read (no seconds, {@code 2020-06-10T12:30Z}) still are.
 *
 * <p>The two shapes callers send most — {@code 2020-12-01} and {@code 2021-03-15T12:30:00Z} — are
 * read digit by digit; java.time's formatter took most of an {@code /access?at=} request
 * (async-profiler). The result is the formatter's, checked by {@code EventTimesTest} on many
 * strings.
 */
public final class EventTimes {

    private static final String DATE_SHAPE = "dddd-dd-dd";
    private static final String UTC_SECONDS_SHAPE = "dddd-dd-ddTdd:dd:ddZ";
    private static final String DATE_TIME_SHAPE = "dddd-dd-ddTdd:dd:dd";
    private static final String OFFSET_SHAPE = "dd:dd";

    /** The first instant the store holds faithfully: year 1 (PostgreSQL goes further back, java.time's calendar not as far). */
    public static final Instant MIN_STORED = Instant.parse("0001-01-01T00:00:00Z");
    /** The last instant kept: the end of year 9999, the last year RFC 3339 can write. */
    public static final Instant MAX_STORED = Instant.parse("9999-12-31T23:59:59.999999Z");

    private EventTimes() {
    }

    /** The first instant RFC 3339 can write: year 0000. */
    public static final Instant FIRST_WRITABLE = Instant.parse("0000-01-01T00:00:00Z");

    /**
     * Whether RFC 3339 can write this instant (years 0000 to 9999, to the microsecond) — what a query
     * may ask about, since its answer may name it again; java.time reads years to ±999,999,999.
     */
    public static boolean isWritable(Instant instant) {
        return !instant.isBefore(FIRST_WRITABLE) && !instant.isAfter(MAX_STORED);
    }

    /** The sentence for an instant outside {@link #isWritable}: names the field and the years. */
    public static String notWritable(String field, String text) {
        return field + " \"" + Sanitize.forMessage(text) + "\" is outside the years RFC 3339 writes, 0000 to 9999";
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
            if (hasShape(text, UTC_SECONDS_SHAPE) && number(text, 17, 2) < 60) {
                return Optional.of(LocalDateTime.of(date(text), LocalTime.of(number(text, 11, 2),
                        number(text, 14, 2), number(text, 17, 2))).toInstant(ZoneOffset.UTC));
            }
            if (text.length() > DATE_TIME_SHAPE.length() && hasShape(text.substring(0, DATE_TIME_SHAPE.length())
                    .replace('t', 'T'), DATE_TIME_SHAPE)) {
                Optional<Instant> read = rfc3339(text);
                if (read.isPresent()) {
                    return read;
                }
            }
            return Optional.of(toMicros(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant()));
        } catch (DateTimeException e) { // a parse error, or a field out of range (month 13, 30 February)
            return Optional.empty();
        }
    }

    /** Cut to the microsecond, the finest instant the store keeps. */
    public static Instant toMicros(Instant instant) {
        return instant.getNano() % 1_000 == 0 ? instant : instant.truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * RFC 3339's {@code date-time} (section 5.6), starting {@code YYYY-MM-DDThh:mm:ss}: a fraction of
     * any length, then {@code Z} or {@code ±hh:mm}; {@code T} and {@code Z} in either case. Empty when
     * the rest is not that grammar or the calendar refuses the fields; the caller then asks the formatter,
     * which refuses it too unless it is one of the shapes it has always read beyond RFC 3339.
     */
    private static Optional<Instant> rfc3339(String text) {
        int i = DATE_TIME_SHAPE.length();
        int micros = 0;
        if (text.charAt(i) == '.') {
            int digits = 0;
            for (i++; i < text.length() && isDigit(text.charAt(i)); i++, digits++) {
                if (digits < 6) {
                    micros = micros * 10 + (text.charAt(i) - '0');
                }
            }
            if (digits == 0) {
                return Optional.empty();
            }
            for (; digits < 6; digits++) {
                micros *= 10;
            }
        }
        int offsetSeconds;
        String offset = text.substring(i);
        if (offset.equals("Z") || offset.equals("z")) {
            offsetSeconds = 0;
        } else if (offset.length() == 6 && (offset.charAt(0) == '+' || offset.charAt(0) == '-')
                && hasShape(offset.substring(1), OFFSET_SHAPE) && number(offset, 1, 2) <= 23
                && number(offset, 4, 2) <= 59) {
            offsetSeconds = (offset.charAt(0) == '-' ? -1 : 1) * (number(offset, 1, 2) * 3_600 + number(offset, 4, 2) * 60);
        } else {
            return Optional.empty();
        }
        int second = number(text, 17, 2);
        if (second > 60) {
            return Optional.empty();
        }
        long epochSecond = LocalDateTime.of(date(text), LocalTime.of(number(text, 11, 2), number(text, 14, 2),
                Math.min(second, 59))).toEpochSecond(ZoneOffset.UTC) - offsetSeconds;
        if (second == 60 && Math.floorMod(epochSecond, 86_400) != 86_399) {
            return Optional.empty(); // a leap second is the last second of a UTC day
        }
        return Optional.of(Instant.ofEpochSecond(epochSecond, micros * 1_000L));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
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
