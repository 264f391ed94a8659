package dev.moratorium.ops;

import dev.moratorium.wire.Topics;
import dev.moratorium.ingest.PolicyChangeConsumer;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the {@code policy-changes} consumer beyond "a connection is open": DOWN while the
 * broker refuses its credentials (see {@link KafkaAuthentication}) and while a polled batch cannot
 * be stored. A replica that cannot take in policy changes must not answer access decisions as if
 * its state were current; the operator reads the reason in the check's data.
 */
@Readiness
@ApplicationScoped
public class KafkaConsumerHealthCheck implements HealthCheck {

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    PolicyChangeConsumer consumer;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("Kafka consumer " + Topics.POLICY_CHANGES);
        KafkaConsumer<Object, Object> client = kafkaClients.getConsumer(Topics.POLICY_CHANGES);
        if (client == null || client.unwrap() == null) {
            return response.down().withData("problem", "the consumer has not started").build();
        }
        // Kafka's client metrics are thread-safe to read; SmallRye's own check reads them the same way.
        Map<MetricName, ? extends Metric> metrics = client.unwrap().metrics();
        KafkaAuthentication auth = KafkaAuthentication.of(metrics);
        boolean stalled = consumer.isStalled();
        response.status(!auth.failing() && !stalled)
                .withData("failedAuthentications", Math.round(auth.failedTotal()))
                .withData("storeStalled", stalled);
        if (auth.failing()) {
            response.withData("problem", "the broker refuses the consumer's credentials (see the log)");
        } else if (stalled) {
            response.withData("problem", "a polled batch cannot be stored; retrying (see the log)");
        }
        return response.build();
    }
}
