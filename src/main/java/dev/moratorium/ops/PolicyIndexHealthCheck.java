package dev.moratorium.ops;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.readmodel.PolicyIndex;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of {@code /access}: its answers come from the in-memory index, so a replica whose index
 * is not loaded yet, or has not caught up with the database for longer than
 * {@code moratorium.index.max-lag} (its refreshes fail), must not receive the gateways' traffic.
 */
@Readiness
@ApplicationScoped
public class PolicyIndexHealthCheck implements HealthCheck {

    @Inject
    PolicyIndex index;

    @Inject
    MoratoriumConfig config;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("Access index");
        double maxLagSeconds = config.index().maxLag().toMillis() / 1000.0;
        double age = index.ageSeconds();
        boolean loaded = index.isLoaded();
        response.status(loaded && age <= maxLagSeconds)
                .withData("policies", index.size())
                .withData("withoutExemptions", index.withoutExemptions())
                .withData("ageSeconds", Math.round(age))
                .withData("maxLagSeconds", Math.round(maxLagSeconds));
        if (!loaded) {
            response.withData("problem", "the policies are still being loaded");
        } else if (age > maxLagSeconds) {
            response.withData("problem", "the index cannot be refreshed from the database (see the log)");
        }
        return response.build();
    }
}
