package dev.moratorium.ingest;

import dev.moratorium.wire.Topics;
import io.smallrye.reactive.messaging.ClientCustomizer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Lets the {@code policy-changes} consumer join its group with Kafka's consumer rebalance protocol
 * (KIP-848, {@code group.protocol=consumer}: rebalances that stop no member's other partitions)
 * when the platform asks for it, e.g. {@code KAFKA_GROUP_PROTOCOL=consumer}.
 *
 * <p>With that protocol the broker holds a member's session and heartbeat timing
 * ({@code group.consumer.session.timeout.ms}, {@code group.consumer.heartbeat.interval.ms}), and the
 * client refuses to be created with its own: the service's {@code session.timeout.ms} and
 * {@code heartbeat.interval.ms} (set for the classic protocol, Kafka's default, in
 * {@code application.properties}) made it fail to start with a {@code ConfigException}. They are
 * left out for that protocol, and one INFO line says what then decides how long a dead pod keeps its
 * partitions. So is {@code partition.assignment.strategy}, the classic protocol's client-side
 * assignors, which that protocol refuses too (the broker assigns; {@code group.remote.assignor}
 * chooses how).
 */
@ApplicationScoped
public class ConsumerGroupProtocol implements ClientCustomizer<Map<String, Object>> {

    private static final Logger LOG = Logger.getLogger(ConsumerGroupProtocol.class);

    /** The classic protocol's client-side settings, which the consumer protocol refuses. */
    static final List<String> CLASSIC_ONLY = List.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);

    @Override
    public Map<String, Object> customize(String channel, Config channelConfig, Map<String, Object> settings) {
        if (!Topics.POLICY_CHANGES.equals(channel) || !usesConsumerProtocol(settings)) {
            return settings;
        }
        List<String> dropped = CLASSIC_ONLY.stream().filter(settings::containsKey).toList();
        dropped.forEach(settings::remove);
        LOG.infof("%s joins its group with the consumer protocol (group.protocol=consumer, KIP-848): %s left out, the"
                + " broker's group.consumer.session.timeout.ms (45 s by default) decides how long a pod that died"
                + " keeps its partitions, not the 10 s the service sets for the classic protocol", channel,
                dropped.isEmpty() ? "nothing" : String.join(", ", dropped));
        return settings;
    }

    /** Kafka reads the setting case-insensitively ({@code CONSUMER}, {@code consumer}), and so does this. */
    static boolean usesConsumerProtocol(Map<String, Object> settings) {
        Object protocol = settings.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
        return protocol != null && protocol.toString().trim().toLowerCase(Locale.ROOT).equals("consumer");
    }
}
