package dev.moratorium.clock;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import jakarta.inject.Qualifier;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/**
 * The wall clock, as {@link ServiceClock} produces it: for what runs in real time (webhook leases,
 * backoff and attempt stamps, a subscription's own times), which a replayed service clock
 * ({@code moratorium.clock.start}) must not move. It ticks in microseconds too, so what is answered
 * from memory and what is read back from the store are the same instant.
 */
@Qualifier
@Retention(RUNTIME)
@Target({FIELD, METHOD, PARAMETER})
public @interface Wall {
}
