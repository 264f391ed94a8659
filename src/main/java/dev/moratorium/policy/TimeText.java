package dev.moratorium.policy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** How instants and durations read in messages: a date when it is midnight UTC, else the instant to the second (the JSON fields carry it whole). */
public final class TimeText {

    private static final long SECONDS_PER_DAY = 86_400;

    private TimeText() {
    }

    public static String of(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (instant.getNano() == 0 && Math.floorMod(seconds, SECONDS_PER_DAY) == 0) {
            // the common case (contract times are mostly dates), without building an OffsetDateTime:
            // access reasons name two of them on every denied decision
            return LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY)).toString();
        }
        var utc = instant.atOffset(ZoneOffset.UTC);
        if (utc.toLocalTime().equals(LocalTime.MIDNIGHT)) {
            return utc.toLocalDate().toString();
        }
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** "7 days", "1 day", "12 hours", "30 minutes", "90 seconds": the largest whole unit. */
    public static String of(Duration duration) {
        if (duration.toDaysPart() > 0 && duration.equals(Duration.ofDays(duration.toDays()))) {
            return plural(duration.toDays(), "day");
        }
        if (duration.toHours() > 0 && duration.equals(Duration.ofHours(duration.toHours()))) {
            return plural(duration.toHours(), "hour");
        }
        if (duration.toMinutes() > 0 && duration.equals(Duration.ofMinutes(duration.toMinutes()))) {
            return plural(duration.toMinutes(), "minute");
        }
        return plural(Math.max(1, duration.toSeconds()), "second");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
