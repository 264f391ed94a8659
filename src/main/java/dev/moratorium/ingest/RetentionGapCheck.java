package dev.moratorium.ingest;

import dev.moratorium.wire.Sanitize;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Says when records of {@code policy-changes} were deleted before the service read them: a
 * partition's committed offset is below its first offset, because the topic's retention (7 days by
 * the broker's default) or an operator's {@code kafka-delete-records} removed them while the service
 * was stopped or far behind. The consumer then starts at the first record left
 * ({@code auto.offset.reset=earliest}), and nothing said that policy changes had been lost: now a
 * WARN names the partition and the offsets, and {@code moratorium_policy_changes_deleted_unread_total}
 * counts them (offsets: transaction markers take some, so at most that many records). Checked when
 * partitions are assigned, which is at every start and rebalance, before anything is fetched.
 *
 * <p>A gap found is then committed past (the group's offset set to the first record left, where the
 * consumer starts anyway): the commit strategy commits only offsets of records it processed, so on a
 * partition that got no new record the old offset stayed, and every later start or rebalance, on
 * any replica, counted the same loss again and fired the alert anew.
 */
@ApplicationScoped
@Identifier(RetentionGapCheck.NAME)
public class RetentionGapCheck implements KafkaConsumerRebalanceListener {

    /** As {@code mp.messaging.incoming.policy-changes.consumer-rebalance-listener.name} names it. */
    static final String NAME = "policy-changes-retention-gap";
    private static final Logger LOG = Logger.getLogger(RetentionGapCheck.class);
    private static final Duration BROKER_WAIT = Duration.ofSeconds(10);

    @Inject
    MeterRegistry registry;

    private volatile Counter deletedUnread;

    void registerCounter(@Observes StartupEvent event) {
        counter();
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions), BROKER_WAIT);
            Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, BROKER_WAIT);
            Map<TopicPartition, OffsetAndMetadata> pastGaps = new HashMap<>();
            for (TopicPartition partition : partitions) {
                OffsetAndMetadata at = committed.get(partition);
                Long start = first.get(partition);
                if (at != null && start != null && at.offset() < start) {
                    long lost = start - at.offset();
                    counter().increment(lost);
                    LOG.warnf("Records of %s were deleted before the service read them: offsets %d to %d (%d),"
                            + " by the topic's retention or kafka-delete-records, while the service was stopped or"
                            + " behind. The policy changes in them are lost to the service; it goes on from offset"
                            + " %d (runbook: MoratoriumPolicyChangesDeletedUnread)", partition, at.offset(), start - 1,
                            lost, start);
                    pastGaps.put(partition, new OffsetAndMetadata(start));
                }
            }
            commitPast(consumer, pastGaps);
        } catch (RuntimeException e) {
            // a check, not the consumer's work: the assignment goes on
            LOG.warnf("Could not check %s for records deleted unread: %s", partitions,
                    Sanitize.forLog(String.valueOf(e.getMessage())));
        }
    }

    private static void commitPast(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> pastGaps) {
        if (pastGaps.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(pastGaps, BROKER_WAIT);
        } catch (RuntimeException e) {
            // the group's Read refused, or the broker gone: the same loss is counted at the next assignment
            LOG.warnf("Could not commit %s past the records deleted unread (they will be reported again at the next"
                    + " assignment): %s", pastGaps.keySet(), Sanitize.forLog(String.valueOf(e.getMessage())));
        }
    }

    private Counter counter() {
        Counter c = deletedUnread;
        if (c == null) {
            c = Counter.builder("moratorium.policy.changes.deleted.unread")
                    .description("Offsets of policy-changes deleted (retention, kafka-delete-records) before the"
                            + " service read them, found when partitions are assigned: policy changes lost to it")
                    .register(registry);
            deletedUnread = c;
        }
        return c;
    }
}
