package dev.moratorium.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.config.MoratoriumConfig.IngestSettings.ResumeFrom;
import dev.moratorium.store.ReadPositionRows;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.KafkaProducer;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
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
        check.consumerAdmin = brokerAnswering(() -> "the-topic");
        check.config = resumingFrom(ResumeFrom.DATABASE);
        check.askAtMostEvery = Duration.ZERO; // each batch's question at once, but in the test of the pace
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

    /**
     * Paused behind a database outage longer than the retention (or frozen), the service kept its
     * partition, and the Kafka client reset its position to the first record left: the skipped offsets
     * below the partition's start are the ones deleted; skipped offsets the broker still holds
     * (transaction markers, aborted records) are not.
     */
    @Test
    void offsetsTheConsumerSkippedAreCountedOnlyWhereTheBrokerDeletedThem() {
        MockConsumer<byte[], byte[]> consumer = committedAt(7);
        check.kafkaClients = pollingOn(consumer);

        check.onPartitionsAssigned(consumer, Set.of(BEHIND));
        check.read(ReadPositionsTest.batch(BEHIND, 7, 8));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 12L)); // 9 to 11 deleted while paused
        check.read(ReadPositionsTest.batch(BEHIND, 12, 13));
        check.read(ReadPositionsTest.batch(BEHIND, 15)); // a marker at 14: held, not deleted
        consumer.updateBeginningOffsets(Map.of(BEHIND, 18L)); // 16 and 17 deleted, 18 and 19 aborted
        check.read(ReadPositionsTest.batch(BEHIND, 20));

        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(5.0);
    }

    /**
     * A producer that commits a transaction per record leaves a marker after each: nearly every batch
     * skips an offset. The broker is asked at once about the first skip, and then at most once in the
     * interval, about every range skipped since; the markers are not counted, the deletion before them is.
     */
    @Test
    void skipsAreCheckedAtMostOnceAnIntervalAllTogether() {
        MockConsumer<byte[], byte[]> consumer = committedAt(0);
        AtomicInteger questions = new AtomicInteger();
        check.kafkaClients = pollingOn(consumer, questions);
        check.askAtMostEvery = Duration.ofSeconds(2);

        check.onPartitionsAssigned(consumer, Set.of(BEHIND));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 10L)); // 0 to 9 deleted while frozen
        check.read(ReadPositionsTest.batch(BEHIND, 10));
        for (long offset = 12; offset <= 40; offset += 2) {
            check.read(ReadPositionsTest.batch(BEHIND, offset)); // a marker before each: 11, 13, ..., 39
        }

        assertThat(questions).as("the first skip asked about at once, the next 15 wait for the interval").hasValue(1);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(questions).hasValue(2));
        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(10.0);
    }

    @Test
    void aGapFoundAtAssignmentIsNotCountedAgainWhenTheFirstRecordsComeFromTheStart() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 6L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(1)));
        check.kafkaClients = pollingOn(consumer);

        check.onPartitionsAssigned(consumer, Set.of(BEHIND));
        check.read(ReadPositionsTest.batch(BEHIND, 6, 7));

        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(5.0);
    }

    @Test
    void aBrokerThatCannotBeAskedLeavesTheAssignmentAlone() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND));
        consumer.close(); // every call on it throws now

        check.onPartitionsAssigned(consumer, Set.of(BEHIND));

        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isZero();
    }

    /** A consumer of partition 0, whose records start at offset 0 and whose group committed {@code offset}. */
    /**
     * Each partition resumes where the database's records of it end, not at the group's committed
     * offset: before it after the database was restored from a backup (the records between are read
     * again), past it after a crash between the database's commit and the group's; at the partition's
     * first offset when the database's position lies before it (deleted unread: counted), and at the
     * group's when the position lies past the partition's end (a topic made anew since).
     */
    @Test
    void eachPartitionResumesWhereTheDatabasesRecordsOfItEnd() {
        TopicPartition restored = new TopicPartition("policy-changes", 3);
        TopicPartition crashed = new TopicPartition("policy-changes", 4);
        TopicPartition madeAnew = new TopicPartition("policy-changes", 5);
        List<TopicPartition> all = List.of(BEHIND, CURRENT, restored, crashed, madeAnew);
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(all);
        consumer.updateBeginningOffsets(Map.of(BEHIND, 6L, CURRENT, 0L, restored, 0L, crashed, 0L, madeAnew, 0L));
        consumer.updateEndOffsets(Map.of(BEHIND, 50L, CURRENT, 50L, restored, 50L, crashed, 50L, madeAnew, 3L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(30), CURRENT, new OffsetAndMetadata(20),
                restored, new OffsetAndMetadata(40), crashed, new OffsetAndMetadata(10), madeAnew, new OffsetAndMetadata(2)));
        check.readPositions = keeping(new java.util.HashMap<>(Map.of(BEHIND.partition(), 2L, CURRENT.partition(), 20L, restored.partition(), 25L,
                crashed.partition(), 12L, madeAnew.partition(), 9L)));

        check.onPartitionsAssigned(consumer, Set.copyOf(all));

        assertThat(consumer.position(restored)).as("before the group's: read again").isEqualTo(25);
        assertThat(consumer.position(crashed)).as("past the group's: not read again").isEqualTo(12);
        assertThat(consumer.position(CURRENT)).as("where the group is").isEqualTo(20);
        assertThat(consumer.position(madeAnew)).as("a position past the end is not this topic's").isEqualTo(2);
        assertThat(consumer.position(BEHIND)).as("before the partition's first offset").isEqualTo(6);
        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).as("2 to 5 deleted unread")
                .isEqualTo(4.0);
        Map<TopicPartition, OffsetAndMetadata> group = consumer.committed(Set.copyOf(all));
        assertThat(group.get(crashed).offset()).as("the group's lag counts no record applied already").isEqualTo(12);
        assertThat(group.get(restored).offset()).as("the group's lag counts what is read again").isEqualTo(25);
        assertThat(group.get(BEHIND).offset()).as("past the records deleted unread").isEqualTo(6);
        assertThat(group.get(CURRENT).offset()).isEqualTo(20);
        assertThat(group.get(madeAnew).offset()).isEqualTo(2);
    }

    /**
     * A loss found through the database's position is said once: the position moves past it as the
     * group's offset does, and the next assignment finds nothing to report.
     */
    @Test
    void aGapFoundThroughTheDatabasesPositionIsCountedOnce() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 6L));
        consumer.updateEndOffsets(Map.of(BEHIND, 6L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(1)));
        Map<Integer, Long> kept = new java.util.HashMap<>(Map.of(BEHIND.partition(), 1L));
        check.readPositions = keeping(kept);

        check.onPartitionsAssigned(consumer, Set.of(BEHIND));
        check.onPartitionsAssigned(consumer, Set.of(BEHIND));

        assertThat(kept).isEqualTo(Map.of(BEHIND.partition(), 6L));
        assertThat(consumer.committed(Set.of(BEHIND)).get(BEHIND).offset()).isEqualTo(6);
        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(5.0);
    }

    /**
     * The topic's id goes with the question to the database, whose positions of a topic made anew are
     * dropped (ReadPositionRowsTest); not known, the broker not answering, the positions are taken as
     * they are.
     */
    @Test
    void theTopicsIdGoesToTheDatabaseWhichDropsTheOldTopicsPositions() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(CURRENT));
        consumer.updateBeginningOffsets(Map.of(CURRENT, 0L));
        consumer.updateEndOffsets(Map.of(CURRENT, 40L));
        List<String> asked = new ArrayList<>();
        check.readPositions = new ReadPositionRows() {
            @Override
            public Resumption resumeAt(String topic, String topicId, Collection<Integer> partitions,
                    Map<Integer, Long> committed, Map<Integer, Long> first) {
                asked.add(topicId);
                return topicId == null ? new Resumption(Map.of(CURRENT.partition(), 30L), null)
                        : new Resumption(Map.of(CURRENT.partition(), 0L), "the-old-topic");
            }
        };
        check.consumerAdmin = brokerAnswering(() -> "the-new-topic");
        check.onPartitionsAssigned(consumer, Set.of(CURRENT));
        assertThat(consumer.position(CURRENT)).as("made anew: from its first record").isZero();

        check.consumerAdmin = brokerAnswering(() -> {
            throw new TimeoutException("no answer");
        });
        check.onPartitionsAssigned(consumer, Set.of(CURRENT));
        assertThat(consumer.position(CURRENT)).as("where the database's records end").isEqualTo(30);
        assertThat(asked).containsExactly("the-new-topic", null);
    }

    /**
     * {@code moratorium.ingest.resume-from=group}, to follow an operator's reset of the group's offsets:
     * each partition resumes at the group's committed offset (past records deleted unread, counted),
     * else at its first, not where the database's records end; the database's positions are set there.
     */
    @Test
    void resumingFromTheGroupFollowsItsOffsetsAndSetsTheDatabasesPositionsThere() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND, CURRENT, NEVER_COMMITTED));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 6L, CURRENT, 0L, NEVER_COMMITTED, 3L));
        consumer.updateEndOffsets(Map.of(BEHIND, 50L, CURRENT, 50L, NEVER_COMMITTED, 50L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(1), CURRENT, new OffsetAndMetadata(40)));
        Map<Integer, Long> kept = new java.util.HashMap<>(Map.of(BEHIND.partition(), 20L, CURRENT.partition(), 10L,
                NEVER_COMMITTED.partition(), 30L));
        check.readPositions = keeping(kept);
        check.config = resumingFrom(ResumeFrom.GROUP);

        check.onPartitionsAssigned(consumer, Set.of(BEHIND, CURRENT, NEVER_COMMITTED));

        assertThat(consumer.position(CURRENT)).as("the group's, skipping forward").isEqualTo(40);
        assertThat(consumer.position(BEHIND)).as("past the records deleted unread").isEqualTo(6);
        assertThat(consumer.position(NEVER_COMMITTED)).as("the first").isEqualTo(3);
        assertThat(kept).isEqualTo(Map.of(BEHIND.partition(), 6L, CURRENT.partition(), 40L, NEVER_COMMITTED.partition(), 3L));
        assertThat(registry.counter("moratorium.policy.changes.deleted.unread").count()).isEqualTo(5.0);
    }

    /** The settings, of which the check reads {@code moratorium.ingest.resume-from} alone. */
    private static MoratoriumConfig resumingFrom(ResumeFrom from) {
        MoratoriumConfig.IngestSettings ingest = () -> from;
        return (MoratoriumConfig) Proxy.newProxyInstance(MoratoriumConfig.class.getClassLoader(),
                new Class<?>[] {MoratoriumConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("ingest")) {
                        return ingest;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    /** What the broker answers when asked for the topic's id. */
    private static ConsumerAdmin brokerAnswering(Callable<String> topicId) {
        return new ConsumerAdmin() {
            @Override
            public String topicId(String topic) throws TimeoutException {
                try {
                    return topicId.call();
                } catch (TimeoutException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** The database's positions, as ReadPositionRows keeps them, in a map instead of a database. */
    private static ReadPositionRows keeping(Map<Integer, Long> kept) {
        return new ReadPositionRows() {
            @Override
            public Resumption resumeAt(String topic, String topicId, Collection<Integer> partitions,
                    Map<Integer, Long> committed, Map<Integer, Long> first) {
                return new Resumption(Map.copyOf(kept), null);
            }

            @Override
            public void moveTo(String topic, Map<Integer, Long> nextOffsets) {
                kept.putAll(nextOffsets);
            }

            @Override
            public void follow(String topic, String topicId, Map<Integer, Long> nextOffsets) {
                kept.putAll(nextOffsets);
            }
        };
    }

    private static MockConsumer<byte[], byte[]> committedAt(long offset) {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(BEHIND));
        consumer.updateBeginningOffsets(Map.of(BEHIND, 0L));
        consumer.commitSync(Map.of(BEHIND, new OffsetAndMetadata(offset)));
        return consumer;
    }

    /** The connector's consumer as the check uses it: work handed to its polling thread, here run at once on the mock. */
    @SuppressWarnings("unchecked")
    private static KafkaClientService pollingOn(MockConsumer<byte[], byte[]> consumer) {
        return pollingOn(consumer, new AtomicInteger());
    }

    @SuppressWarnings("unchecked")
    private static KafkaClientService pollingOn(MockConsumer<byte[], byte[]> consumer, AtomicInteger questions) {
        KafkaConsumer<byte[], byte[]> connectorConsumer = (KafkaConsumer<byte[], byte[]>) Proxy.newProxyInstance(
                KafkaConsumer.class.getClassLoader(), new Class<?>[] {KafkaConsumer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("runOnPollingThread") && args[0] instanceof Function<?, ?> work) {
                        questions.incrementAndGet();
                        return Uni.createFrom().item(() -> ((Function<Object, Object>) work).apply(consumer));
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new KafkaClientService() {
            @Override
            public <K, V> List<KafkaConsumer<K, V>> getConsumers(String channel) {
                return List.of((KafkaConsumer<K, V>) (Object) connectorConsumer);
            }

            @Override
            public <K, V> KafkaProducer<K, V> getProducer(String channel) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Set<String> getConsumerChannels() {
                return Set.of("policy-changes");
            }

            @Override
            public Set<String> getProducerChannels() {
                return Set.of();
            }
        };
    }
}
