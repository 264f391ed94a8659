package dev.moratorium.app;

import dev.moratorium.ingest.PolicyChangeConsumer;
import dev.moratorium.outbox.OutboxRelay;
import dev.moratorium.ops.StateRepublish;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * The order in which the service stops on SIGTERM. Readiness has already reported DOWN for
 * {@code quarkus.shutdown.delay}; now, before Quarkus closes the database: (1) the consumer stops
 * and its batch in flight commits, (2) a state republication stops after its chunk in flight, (3)
 * the outbox is published. The Kafka connector then closes the consumer, committing the offsets of
 * every acknowledged batch.
 */
@ApplicationScoped
public class ShutdownSequence {

    private static final Logger LOG = Logger.getLogger(ShutdownSequence.class);

    @Inject
    PolicyChangeConsumer consumer;

    @Inject
    OutboxRelay relay;

    @Inject
    StateRepublish republish;

    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        long started = System.nanoTime();
        try {
            consumer.stopAndAwaitInFlight(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            republish.stop(Duration.ofSeconds(5)); // the chunk in flight is written before the outbox is drained
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        relay.drain();
        LOG.infof("Consumer stopped and outbox drained in %d ms", (System.nanoTime() - started) / 1_000_000);
    }
}
