package dev.moratorium.clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** moratorium.clock.start: an RFC 3339 instant the store can keep, or the service does not start. */
class ServiceClockStartTest {

    @Test
    void aStartInTheYearsTheStoreKeeps() {
        assertThat(ServiceClock.start("2020-06-09T00:00:00Z")).isEqualTo(Instant.parse("2020-06-09T00:00:00Z"));
        assertThat(ServiceClock.start("0001-01-01")).isEqualTo(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(ServiceClock.start("9999-12-31T23:59:59Z")).isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
    }

    @Test
    void aStartOutsideThemIsRefusedByName() {
        for (String outside : new String[] {"+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "0000-06-01",
                "9999-12-31T23:00:00-05:00"}) {
            assertThatThrownBy(() -> ServiceClock.start(outside)).as(outside)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("moratorium.clock.start (MORATORIUM_CLOCK_START) \"" + outside
                            + "\" is outside the years the service keeps, 0001 to 9999");
        }
        assertThatThrownBy(() -> ServiceClock.start("yesterday")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not an RFC 3339 instant");
    }
}
