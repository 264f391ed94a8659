package dev.moratorium.ingest;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/** The contract's times: a date {@code YYYY-MM-DD} (midnight UTC) or an RFC 3339 timestamp. */
public final class EventTimes {

    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    private EventTimes() {
    }

    public static Optional<Instant> parse(String text) {
        if (text == null || text.length() > 64) {
            return Optional.empty();
        }
        try {
            if (DATE.matcher(text).matches()) {
                return Optional.of(LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant());
            }
            return Optional.of(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
