package dev.moratorium.outbox;

import dev.moratorium.config.MoratoriumSettingsBounds;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The relay's time budget. A round is sent only while the outbox lease has more than
 * {@code ackTimeout} left, and every record's fate must be known within {@code ackTimeout} of its
 * send — including records the producer would otherwise keep retrying in the background, which
 * could reach the broker after the lease has passed to another replica. So the producer's own
 * timeouts are derived from the acknowledgement wait and cannot be loosened by configuration:
 * {@code send()} blocks at most a sixth of it (metadata, a full buffer), and a record is delivered
 * or failed at most two thirds of it after that. A record sent while the lease has more than the
 * wait left is therefore settled, one way or the other, before the lease can pass to another replica.
 */
record RelayTimeouts(Duration lease, Duration ackTimeout) {

    RelayTimeouts {
        MoratoriumSettingsBounds.relayTimeouts(lease, ackTimeout).enforce();
    }

    Duration maxBlock() {
        return ackTimeout.dividedBy(6);
    }

    Duration deliveryTimeout() {
        return ackTimeout.multipliedBy(2).dividedBy(3);
    }

    /** Within the delivery timeout, with room for linger and one retry. */
    Duration requestTimeout() {
        return deliveryTimeout().dividedBy(2);
    }

    /** Set over whatever the {@code kafka.*} settings say: the lease's fencing depends on them. */
    void applyTo(Map<String, Object> producerConfig) {
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlock().toMillis());
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryTimeout().toMillis());
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout().toMillis());
    }
}
