package dev.moratorium.clock;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.wire.EventTimes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.jboss.logging.Logger;

/**
 * The service's own clock (UTC), used for every time-driven change. With
 * {@code moratorium.clock.start} it starts at that instant and then runs at normal speed, which is
 * how history such as the 2020 seed story is replayed.
 */
@ApplicationScoped
public class ServiceClock {

    private static final Logger LOG = Logger.getLogger(ServiceClock.class);
    private static final Duration MICROSECOND = Duration.ofNanos(1_000);

    /**
     * Ticks in microseconds, the finest instant the store keeps: an instant taken from it (when a
     * record was read, the time of an event that has none, a time-driven change) is stored,
     * published and answered as the same instant (see {@link dev.moratorium.wire.EventTimes}).
     */
    @Produces
    @Singleton
    Clock clock(MoratoriumConfig config) {
        return Clock.tick(unticked(config), MICROSECOND);
    }

    /** Real time, whatever {@code moratorium.clock.start} says: see {@link Wall}. */
    @Produces
    @Singleton
    @Wall
    Clock wall() {
        return Clock.tick(Clock.systemUTC(), MICROSECOND);
    }

    private Clock unticked(MoratoriumConfig config) {
        Clock system = Clock.systemUTC();
        if (config.clock().start().isEmpty() || config.clock().start().get().isBlank()) {
            return system;
        }
        Instant start = start(config.clock().start().get().strip());
        Duration offset = Duration.between(system.instant(), start);
        LOG.infof("Service clock starts at %s and runs at normal speed (moratorium.clock.start)", start);
        return Clock.offset(system, offset).withZone(ZoneOffset.UTC);
    }

    /**
     * The instant {@code moratorium.clock.start} names, within the years the store keeps: every
     * instant the clock gives is stored (when a record was read, a time-driven change), and a clock
     * started at java.time's year 999,999,999 made every write one the database refuses.
     */
    static Instant start(String text) {
        Instant start = EventTimes.parse(text).orElseThrow(() -> new IllegalArgumentException(
                "moratorium.clock.start (MORATORIUM_CLOCK_START) \"" + text
                        + "\" is not an RFC 3339 instant such as 2020-06-09T00:00:00Z"));
        if (!EventTimes.isStorable(start)) {
            throw new IllegalArgumentException("moratorium.clock.start (MORATORIUM_CLOCK_START) \"" + text
                    + "\" is outside the years the service keeps, 0001 to 9999");
        }
        return start;
    }
}
