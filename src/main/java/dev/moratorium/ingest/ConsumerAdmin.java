package dev.moratorium.ingest;

import dev.moratorium.wire.Topics;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * An admin client with the {@code policy-changes} consumer's own settings (its bootstrap servers,
 * security and so its user), for what the consumer's API does not answer: the topic's id, what the
 * user may do. Made at first use, once the channel has started; shared; closed at shutdown.
 */
@ApplicationScoped
public class ConsumerAdmin {

    /** How long one question to the broker may take. */
    public static final Duration BROKER_WAIT = Duration.ofSeconds(10);

    @Inject
    KafkaClientService kafkaClients;

    private volatile Admin admin;

    /** The consumer's settings (its group among them); empty before the channel has started. */
    public Optional<Map<String, ?>> consumerSettings() {
        KafkaConsumer<Object, Object> consumer = kafkaClients.getConsumer(Topics.POLICY_CHANGES);
        return consumer == null ? Optional.empty() : Optional.of(consumer.configuration());
    }

    /** The admin client; empty before the channel has started. */
    public Optional<Admin> admin() {
        Admin a = admin;
        if (a != null) {
            return Optional.of(a);
        }
        Optional<Map<String, ?>> settings = consumerSettings();
        if (settings.isEmpty()) {
            return Optional.empty();
        }
        synchronized (this) {
            if (admin == null) {
                Map<String, Object> c = new HashMap<>(settings.get());
                c.keySet().retainAll(AdminClientConfig.configNames());
                c.put(AdminClientConfig.CLIENT_ID_CONFIG, "moratorium-policy-changes-admin");
                c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) BROKER_WAIT.toMillis());
                c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) BROKER_WAIT.toMillis());
                admin = Admin.create(c);
            }
            return Optional.of(admin);
        }
    }

    /** The topic's id as the broker gives it now: another after the topic was deleted and made again. */
    public String topicId(String topic) throws ExecutionException, InterruptedException, TimeoutException {
        Admin a = admin().orElseThrow(() -> new IllegalStateException("the " + Topics.POLICY_CHANGES
                + " channel has not started"));
        return a.describeTopics(List.of(topic)).topicNameValues().get(topic)
                .get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS).topicId().toString();
    }

    @PreDestroy
    void close() {
        Admin a = admin;
        if (a != null) {
            a.close(Duration.ofSeconds(2));
        }
    }
}
