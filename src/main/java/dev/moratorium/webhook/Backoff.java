package dev.moratorium.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * When to try a failing subscriber again: exponential backoff with "full jitter" between half and
 * all of the doubled delay (so subscribers that failed together do not retry together), capped;
 * or the receiver's own {@code Retry-After} when it sent one, capped the same way and never
 * shorter than the first delay.
 */
public final class Backoff {

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;

    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    /** The delay after the {@code failures}-th failure in a row (1 = the first). */
    public Duration after(int failures) {
        int doublings = Math.min(Math.max(failures - 1, 0), 30);
        long ceiling = Math.min(max.toMillis(), initial.toMillis() << doublings);
        if (ceiling <= 0 || ceiling > max.toMillis()) {
            ceiling = max.toMillis();
        }
        long jittered = (long) (ceiling * (0.5 + 0.5 * random.getAsDouble()));
        return Duration.ofMillis(Math.max(1, jittered));
    }

    /**
     * The receiver's wish, if any, else the backoff; never more than the cap, and a wish never less
     * than the first delay: a receiver answering 503 with {@code Retry-After: 0} (or a date gone by)
     * was sent its request again the moment it answered, as fast as it could answer, for as long
     * as the retry window lasts (a day by default).
     */
    public Duration after(int failures, Optional<Duration> retryAfter) {
        Duration delay = retryAfter.map(wish -> wish.compareTo(initial) < 0 ? initial : wish)
                .orElseGet(() -> after(failures));
        return delay.compareTo(max) > 0 ? max : delay;
    }

    /** {@code Retry-After}: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); empty if absent or unreadable. */
    public static Optional<Duration> parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.strip();
        // RFC 9110's DIGIT is ASCII; Character.isDigit would also take full-width and other scripts' digits
        if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration d = Duration.between(now, at);
            return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
