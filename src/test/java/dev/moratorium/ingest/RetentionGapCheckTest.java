package dev.moratorium.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RetentionGapCheckTest {

    private static final TopicPartition BEHIND = new TopicPartition("policy-changes", 0);
    private static final TopicPartition CURRENT = new TopicPartition("policy-changes", 1);
    private static final TopicPartition NEVER_COMMITTED = new TopicPartition("policy-changes", 2);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RetentionGapCheck check = new RetentionGapCheck();

    RetentionGapCheckTest() {
        check.registry = registry;
    }

    @Test
    void onlyOffsetsDeletedBeforeTheGroupReadThemAreCounted() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND, CURRENT, NEVER_COMMITTED));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 6L, CURRENT, 6L, NEVER_COMMITTED, 40L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(1), CURRENT, new OffsetAndMetadata(6)));

        check.onPartitionsAssigned(consumer, Set.of(BEHIND, CURRENT, NEVER_COMMITTED));

        // 1 to 5 of partition 0; partition 1 starts where its group stopped; partition 2's group never
        // read it (a first start on a topic whose oldest records are gone loses nothing of its own)
        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(5.0);
    }

    /**
     * No record came after the gap, so the commit strategy had nothing to commit: the group's offset
     * is moved to the first record left, and the next assignment (a restart, a rebalance, another
     * replica) does not count the same loss again.
     */
    @Test
    void aGapIsCountedOnceThoughNoRecordFollowsIt() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND, CURRENT));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 6L, CURRENT, 6L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(1), CURRENT, new OffsetAndMetadata(9)));

        check.onPartitionsAssigned(consumer, Set.of(BEHIND, CURRENT));
        check.onPartitionsAssigned(consumer, Set.of(BEHIND, CURRENT));

        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(5.0);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(BEHIND, CURRENT));
        assertThat(committed.get(BEHIND).offset()).isEqualTo(6);
        assertThat(committed.get(CURRENT).offset()).as("a partition without a gap is left as it was").isEqualTo(9);
    }

    @Test
    void aBrokerThatCannotBeAskedLeavesTheAssignmentAlone() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND));
        consumer.close(); // every call on it throws now

        check.onPartitionsAssigned(consumer, Set.of(BEHIND));

        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isZero();
    }
}
