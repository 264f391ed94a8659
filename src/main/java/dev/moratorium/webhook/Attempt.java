package dev.moratorium.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What one POST to a receiver came to. {@code status} is absent when no answer came (timeout,
 * refused connection, a refused address).
 */
record Attempt(Instant at, Optional<Integer> status, Optional<Duration> retryAfter, long durationMs, String error) {

    /** When the answer came, or the attempt gave up. */
    Instant answeredAt() {
        return at.plusMillis(durationMs);
    }

    boolean delivered() {
        return status.isPresent() && status.get() >= 200 && status.get() < 300;
    }

    /** 410 Gone: the receiver says this endpoint is gone for good. */
    boolean gone() {
        return status.isPresent() && status.get() == 410;
    }

    String describe() {
        if (error != null) {
            return error;
        }
        return "HTTP " + status.map(String::valueOf).orElse("?");
    }
}
