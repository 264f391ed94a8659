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
 * broker refuses its credentials (see {@link KafkaAuthentication}), while the topic does not exist
 * or it refuses the consumer Read on it (see {@link ConsumerGrantsWatch}) and while a polled batch
 * cannot be stored. A replica that cannot take in policy changes must not answer access decisions as
 * if its state were current; the operator reads the reason in the check's data.
 *
 * <p>Read refused on the consumer's group is said in the data but keeps the replica ready: what it
 * fetches is still applied, its answers are current; only the commits are refused.
 */
@Readiness
@ApplicationScoped
public class KafkaConsumerHealthCheck implements HealthCheck {

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    PolicyChangeConsumer consumer;

    @Inject
    ConsumerGrantsWatch grants;

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
        ConsumerGrantsWatch.Grants granted = grants.latest();
        boolean cannotRead = granted.topicRead() == ReadGrant.REFUSED || granted.topicRead() == ReadGrant.MISSING;
        response.status(!auth.failing() && !cannotRead && !stalled)
                .withData("failedAuthentications", Math.round(auth.failedTotal()))
                .withData("topicRead", granted.topicRead().label())
                .withData("groupRead", granted.groupRead().label())
                .withData("storeStalled", stalled);
        if (auth.failing()) {
            response.withData("problem", "the broker refuses the consumer's credentials (see the log)");
        } else if (granted.topicRead() == ReadGrant.MISSING) {
            response.withData("problem", Topics.POLICY_CHANGES + " does not exist (the service never creates it):"
                    + " nothing is fetched");
        } else if (cannotRead) {
            response.withData("problem", "the broker refuses the consumer Read on " + Topics.POLICY_CHANGES
                    + " (its ACLs): nothing is fetched");
        } else if (stalled) {
            response.withData("problem", "a polled batch cannot be stored; retrying (see the log)");
        } else if (granted.groupRead() == ReadGrant.REFUSED) {
            response.withData("problem", "the broker refuses the consumer Read on its group (its ACLs): what is"
                    + " applied is not committed (see the log)");
        }
        return response.build();
    }
}
