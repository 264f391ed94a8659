package dev.moratorium.ingest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * The offset each partition's next record should have, and the offsets a batch skipped. A skip is
 * not a loss by itself: a transaction's marker takes an offset, and {@code read_committed} skips the
 * records of an aborted transaction. It is one when the skipped records were deleted before the
 * consumer fetched them, which only the broker can tell ({@link RetentionGapCheck} asks it).
 *
 * <p>Batches are read by the consumer's worker, one at a time; partitions are assigned and revoked
 * on the polling thread: hence the concurrent map.
 */
final class ReadPositions {

    /** Offsets {@code from} (inclusive) to {@code to} (exclusive) of a partition, not handed to the service. */
    record Skipped(TopicPartition partition, long from, long to) {
    }

    private final Map<TopicPartition, Long> next = new ConcurrentHashMap<>();

    /** The partition's next record should be at {@code offset} (where its group's consumer starts). */
    void expect(TopicPartition partition, long offset) {
        next.put(partition, offset);
    }

    /** Nothing is known of these partitions' next records any more (revoked, lost, or assigned afresh). */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(next::remove);
    }

    /**
     * The offsets the batch skipped, in the order read; each partition's position moves past its last
     * record. A record below the position (read again after a seek or a rebalance) moves it back
     * without a skip.
     */
    List<Skipped> read(ConsumerRecords<?, ?> batch) {
        List<Skipped> skipped = new ArrayList<>(0);
        for (TopicPartition partition : batch.partitions()) {
            Long expected = next.get(partition);
            long at = expected == null ? -1 : expected;
            for (ConsumerRecord<?, ?> record : batch.records(partition)) {
                if (at >= 0 && record.offset() > at) {
                    skipped.add(new Skipped(partition, at, record.offset()));
                }
                at = record.offset() + 1;
            }
            next.put(partition, at);
        }
        return skipped;
    }
}
