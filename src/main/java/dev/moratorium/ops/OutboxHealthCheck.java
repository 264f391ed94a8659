package dev.moratorium.ops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import dev.moratorium.config.MoratoriumConfig;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import java.time.Instant;

/**
 * Readiness: notifications are not reaching subscribers if committed outbox rows grow old. The
 * Kafka and database checks say why; this one says that subscribers are affected.
 */
@Readiness
@ApplicationScoped
public class OutboxHealthCheck implements HealthCheck {

    @Inject
    OpsMonitor monitor;

    @Inject
    MoratoriumConfig config;

    @Override
    public HealthCheckResponse call() {
        OpsSnapshot s = monitor.latest();
        double maxAgeSeconds = config.health().outboxMaxAge().toMillis() / 1000.0;
        if (s.takenAt().equals(Instant.EPOCH)) {
            // the first read runs beside the start; until it is in, the backlog is not known
            return HealthCheckResponse.named("Outbox backlog").down()
                    .withData("problem", "the outbox has not been read yet").build();
        }
        return HealthCheckResponse.named("Outbox backlog")
                .status(s.outboxOldestAgeSeconds() <= maxAgeSeconds)
                .withData("rows", s.outboxBacklog())
                .withData("oldestAgeSeconds", Math.round(s.outboxOldestAgeSeconds()))
                .withData("maxAgeSeconds", Math.round(maxAgeSeconds))
                .build();
    }
}
