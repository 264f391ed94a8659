package dev.moratorium.outbox;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.config.Topics;
import dev.moratorium.ingest.RawHeader;
import dev.moratorium.store.OutboxEntity;
import dev.moratorium.wire.HeaderCodec;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Publishes committed outbox rows to Kafka, in id order, then deletes them.
 *
 * <p>Sending happens outside any database transaction (a Kafka send inside a JTA transaction can
 * inherit its context). A crash after the send and before the delete publishes the rows again,
 * with the same ids — at-least-once delivery, de-duplicable by subscribers. One replica at a time
 * holds the publishing lease, so rows of one policy always leave in order.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    @Inject
    @Channel(Topics.NOTIFICATIONS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<byte[]> notifications;

    @Inject
    @Channel(Topics.STATE)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<byte[]> states;

    @Inject
    @Channel(Topics.DEAD_LETTER)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<byte[]> deadLetters;

    @Inject
    MoratoriumConfig config;

    @Inject
    ChangeSignal signal;

    @Inject
    EntityManager em;

    @Inject
    MeterRegistry registry;

    private final String holder = "relay-" + UUID.randomUUID();
    private final AtomicLong published = new AtomicLong();
    private volatile boolean running;
    private volatile Thread thread;

    void start(@Observes StartupEvent event) {
        running = true;
        thread = new Thread(this::loop, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    /** Early in shutdown: publish what is committed, while the Kafka producers still run. */
    void stop(@Observes @Priority(1) ShutdownEvent event) {
        running = false;
        signal.changed();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            while (publishRound() > 0) {
                // drain
            }
        } catch (RuntimeException e) {
            LOG.warnf("Outbox not drained at shutdown (%s); the next start publishes the rest", e.getMessage());
        }
    }

    public long publishedCount() {
        return published.get();
    }

    private void loop() {
        Duration backoff = Duration.ofMillis(200);
        while (running) {
            try {
                long seen = signal.version();
                int sent = publishRound();
                backoff = Duration.ofMillis(200);
                if (sent == 0) {
                    signal.awaitChangeAfter(seen, config.outbox().poll());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warnf("Outbox relay round failed, retrying in %d ms: %s", backoff.toMillis(), e.getMessage());
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
                        : backoff.multipliedBy(2);
            }
        }
    }

    /** Publishes one batch; returns how many rows went out. */
    int publishRound() {
        List<OutboxEntity> rows = QuarkusTransaction.requiringNew().call(() -> {
            if (!acquireLease()) {
                return List.of();
            }
            return OutboxEntity.<OutboxEntity>findAll(Sort.ascending("id"))
                    .page(Page.ofSize(config.outbox().batchSize())).list();
        });
        if (rows.isEmpty()) {
            return 0;
        }
        List<Uni<Void>> acks = new ArrayList<>(rows.size());
        for (OutboxEntity row : rows) {
            acks.add(emitterFor(row.topic).sendMessage(toMessage(row)));
        }
        Uni.join().all(acks).andFailFast().await().atMost(ACK_TIMEOUT);
        List<Long> ids = rows.stream().map(r -> r.id).toList();
        QuarkusTransaction.requiringNew().run(() -> OutboxEntity.delete("id in ?1", ids));
        published.addAndGet(rows.size());
        for (OutboxEntity row : rows) {
            registry.counter("moratorium.records.published", "topic", row.topic, "type", typeOf(row)).increment();
        }
        return rows.size();
    }

    private boolean acquireLease() {
        int updated = em.createNativeQuery("UPDATE outbox_lease SET holder = :holder,"
                + " held_until = clock_timestamp() + make_interval(secs => :seconds)"
                + " WHERE id = 1 AND (holder = :holder OR held_until IS NULL OR held_until < clock_timestamp())")
                .setParameter("holder", holder)
                .setParameter("seconds", (double) config.outbox().lease().toMillis() / 1000.0)
                .executeUpdate();
        return updated == 1;
    }

    private MutinyEmitter<byte[]> emitterFor(String topic) {
        return switch (topic) {
            case Topics.NOTIFICATIONS -> notifications;
            case Topics.STATE -> states;
            case Topics.DEAD_LETTER -> deadLetters;
            default -> throw new IllegalStateException("outbox row for an unknown topic: " + topic);
        };
    }

    /** The ce_type of a notification; "state" or "dead-letter" for the other topics. */
    private static String typeOf(OutboxEntity row) {
        if (Topics.NOTIFICATIONS.equals(row.topic)) {
            for (RawHeader h : HeaderCodec.decode(row.headers)) {
                if ("ce_type".equals(h.key())) {
                    return new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        }
        return Topics.STATE.equals(row.topic) ? "state" : "dead-letter";
    }

    private static Message<byte[]> toMessage(OutboxEntity row) {
        RecordHeaders headers = new RecordHeaders();
        for (RawHeader h : HeaderCodec.decode(row.headers)) {
            headers.add(h.key(), h.value());
        }
        OutgoingKafkaRecordMetadata<byte[]> metadata = OutgoingKafkaRecordMetadata.<byte[]>builder()
                .withKey(row.recordKey)
                .withHeaders(headers)
                .build();
        return Message.of(row.payload).addMetadata(metadata);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
