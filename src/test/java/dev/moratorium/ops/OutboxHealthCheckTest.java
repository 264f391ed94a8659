package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.config.MoratoriumConfig;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/**
 * The outbox readiness check: DOWN until the first read of the outbox is in (it runs beside the
 * start, not before the HTTP port opens), then by the age of the oldest unpublished row.
 */
class OutboxHealthCheckTest {

    @Test
    void downUntilTheOutboxHasBeenRead() {
        HealthCheckResponse response = check(OpsSnapshot.empty()).call();
        assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(response.getData()).hasValueSatisfying(
                data -> assertThat(data).containsEntry("problem", "the outbox has not been read yet"));
    }

    @Test
    void onceReadUpWhileTheOldestRowIsYoungerThanTheLimit() {
        assertThat(check(read(0, 0)).call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        assertThat(check(read(3, 120)).call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        assertThat(check(read(3, 120.5)).call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
    }

    private static OpsSnapshot read(long rows, double oldestAgeSeconds) {
        return new OpsSnapshot(rows, oldestAgeSeconds, 0, 0, 0, 0, true, Instant.parse("2026-12-03T07:00:00Z"));
    }

    private static OutboxHealthCheck check(OpsSnapshot snapshot) {
        OutboxHealthCheck check = new OutboxHealthCheck();
        check.monitor = new OpsMonitor() {
            @Override
            public OpsSnapshot latest() {
                return snapshot;
            }
        };
        MoratoriumConfig.HealthSettings health = new MoratoriumConfig.HealthSettings() {
            @Override
            public Duration outboxMaxAge() {
                return Duration.ofSeconds(120);
            }

            @Override
            public Duration grantsCheckEvery() {
                return Duration.ofSeconds(15);
            }
        };
        check.config = (MoratoriumConfig) Proxy.newProxyInstance(MoratoriumConfig.class.getClassLoader(),
                new Class<?>[] {MoratoriumConfig.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "health" -> health;
                    case "hashCode" -> 0;
                    case "equals" -> false;
                    case "toString" -> "config";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return check;
    }
}
