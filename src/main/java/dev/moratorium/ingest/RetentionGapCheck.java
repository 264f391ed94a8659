package dev.moratorium.ingest;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.config.MoratoriumConfig.IngestSettings.ResumeFrom;
import dev.moratorium.store.ReadPositionRows;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Says when records of {@code policy-changes} were deleted before the service read them, by the
 * topic's retention (7 days by the broker's default) or an operator's {@code kafka-delete-records}.
 * The consumer then goes on from the first record left ({@code auto.offset.reset=earliest}), and
 * nothing said that policy changes had been lost: now a WARN names the partition and the offsets, and
 * {@code moratorium_policy_changes_deleted_unread_total} counts them (offsets: transaction markers
 * take some, so at most that many records). Two ways to fall behind the partition's start:
 * <ul>
 * <li>while the service was stopped: when partitions are assigned (every start and rebalance,
 * before anything is fetched) the group's committed offsets are compared with the partitions' first
 * offsets. A gap found is then committed past (the group's offset set to the first record left,
 * where the consumer starts anyway): the commit strategy commits only offsets of records it
 * processed, so on a partition that got no new record the old offset stayed, and every later start or
 * rebalance, on any replica, counted the same loss again and fired the alert anew;</li>
 * <li>while it kept its partitions, paused behind a database outage longer than the retention, or
 * frozen: the Kafka client finds its position gone and resets it, saying so only in an INFO line of
 * its own. Each batch's offsets are followed ({@link ReadPositions}); when a batch skipped some, the
 * broker is asked for the partitions' first offsets, and the skipped offsets below them are the ones
 * deleted (those above are transaction markers or aborted records). The question goes to the
 * consumer's polling thread, one at a time and at most one a second, with every range skipped since
 * the last one, and the batch does not wait for the answer: a producer that commits a transaction
 * per record leaves a marker after each, so nearly every batch skips an offset, and a question per
 * batch was a broker round trip per event. A consumer right at the retention's edge may see markers
 * it skipped deleted between its fetch and the answer, and count them: at most that many records,
 * as above.</li>
 * </ul>
 * It also decides where each partition resumes when assigned, before anything is fetched: where the
 * database's records of it end ({@link ReadPositionRows}), which agrees with the state, rather than at
 * the group's committed offset, which Kafka keeps apart from it (see {@code resumeAt}), unless those
 * positions are of another topic of the name: deleted and created again since, it has a new id.
 */
@ApplicationScoped
@Identifier(RetentionGapCheck.NAME)
public class RetentionGapCheck implements KafkaConsumerRebalanceListener {

    /** As {@code mp.messaging.incoming.policy-changes.consumer-rebalance-listener.name} names it. */
    static final String NAME = "policy-changes-retention-gap";
    private static final Logger LOG = Logger.getLogger(RetentionGapCheck.class);
    private static final Duration BROKER_WAIT = Duration.ofSeconds(10);
    /**
     * Skipped ranges waiting for the broker's answer; more are left unchecked. A second of the fastest
     * ingest, a transaction per record (a broker that long unanswering fetches nothing either).
     */
    private static final int MAX_WAITING = 10_000;
    /** At most one question a second: a marker a record, and every batch would ask. */
    static final Duration ASK_AT_MOST_EVERY = Duration.ofSeconds(1);

    @Inject
    MeterRegistry registry;

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    ReadPositionRows readPositions;

    @Inject
    ConsumerAdmin consumerAdmin;

    @Inject
    MoratoriumConfig config;

    private final ReadPositions positions = new ReadPositions();
    private final Object asking = new Object();
    private List<ReadPositions.Skipped> waiting = new ArrayList<>();
    private boolean askingBroker;
    private long nextQuestionAt = System.nanoTime();
    /** {@link #ASK_AT_MOST_EVERY}, shorter in tests. */
    Duration askAtMostEvery = ASK_AT_MOST_EVERY;
    private volatile Counter deletedUnread;

    void registerCounter(@Observes StartupEvent event) {
        counter();
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        positions.forget(partitions);
        if (partitions.isEmpty()) {
            return;
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions), BROKER_WAIT);
            Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, BROKER_WAIT);
            Map<TopicPartition, Long> kept = keptPositions(partitions, committed, first);
            Map<TopicPartition, Long> end = kept.isEmpty() ? Map.of() : consumer.endOffsets(kept.keySet(), BROKER_WAIT);
            Map<TopicPartition, OffsetAndMetadata> commitNow = new HashMap<>();
            Map<String, Map<Integer, Long>> keptPast = new HashMap<>();
            for (TopicPartition partition : partitions) {
                OffsetAndMetadata at = committed.get(partition);
                Long start = first.get(partition);
                Long from = resumeAt(consumer, partition, at, kept.get(partition), start, end.get(partition));
                if (from != null && (at == null || from.longValue() != at.offset())) {
                    // The group's offset follows where reading resumes: past it, nothing read would commit it
                    // and its lag (what MoratoriumConsumerLagHigh watches) would count records applied
                    // already, for good; before it, the lag counts what is read again.
                    commitNow.put(partition, new OffsetAndMetadata(start == null ? from : Math.max(from, start)));
                }
                if (from == null || start == null) {
                    continue;
                }
                if (from < start) {
                    report(partition, from, start, start, "while the service was stopped or behind");
                    commitNow.put(partition, new OffsetAndMetadata(start));
                    if (kept.containsKey(partition)) {
                        keptPast.computeIfAbsent(partition.topic(), t -> new HashMap<>()).put(partition.partition(), start);
                    }
                }
                positions.expect(partition, Math.max(from, start));
            }
            commitPast(consumer, commitNow);
            keepPast(keptPast);
        } catch (RuntimeException e) {
            // a check, not the consumer's work: the assignment goes on
            LOG.warnf("Could not check %s for records deleted unread: %s", partitions,
                    Sanitize.forLog(String.valueOf(e.getMessage())));
        }
    }

    /**
     * Where the partition's reading resumes: where the database's records of it end (see
     * {@link ReadPositionRows}), the consumer moved there when the group's committed offset differs;
     * else that offset. The database is ahead after a crash between its commit and the group's (those
     * records need not be read again), and behind after it was restored from a backup: the group's
     * offset would then have skipped, for good, every record between the backup and the restore. A
     * position past the partition's end is another topic's (made anew since) and is left alone: the
     * database drops the positions of a topic made anew when it is given the topic's id, and this is
     * what is left when the broker could not be asked for it.
     */
    private Long resumeAt(Consumer<?, ?> consumer, TopicPartition partition, OffsetAndMetadata committed, Long kept,
            Long start, Long end) {
        Long at = committed == null ? null : committed.offset();
        Long groupFrom = at != null ? at : start; // without a committed offset the group starts at the first (earliest)
        if (kept == null || kept.equals(groupFrom) || end != null && kept > end) {
            return at;
        }
        long from = start == null ? kept : Math.max(kept, start);
        consumer.seek(partition, from);
        if (groupFrom == null || kept < groupFrom) {
            LOG.infof("%s resumes at offset %d, where the database's records of it end, before the group's %s: the"
                    + " records in between are read again (found applied, or applied now where the database lacks them:"
                    + " restored from a backup, or made anew; a reset of the group's offsets is followed only with"
                    + " moratorium.ingest.resume-from=group)", partition, from, groupFrom);
        } else {
            LOG.infof("%s resumes at offset %d, where the database's records of it end, past the group's %d: the records"
                    + " in between were decided before a stop came between the two commits. A reset of the group's"
                    + " offsets is followed only with moratorium.ingest.resume-from=group (runbook: Moving where the"
                    + " service reads)", partition, from, groupFrom);
        }
        return kept;
    }

    /**
     * Where the database says these partitions resume ({@link ReadPositionRows#resumeAt}); none, and
     * the group's offsets used, when it cannot be read.
     */
    private Map<TopicPartition, Long> keptPositions(Collection<TopicPartition> partitions,
            Map<TopicPartition, OffsetAndMetadata> committed, Map<TopicPartition, Long> first) {
        Map<TopicPartition, Long> kept = new HashMap<>();
        try {
            for (Map.Entry<String, List<TopicPartition>> topic : partitions.stream()
                    .collect(Collectors.groupingBy(TopicPartition::topic)).entrySet()) {
                Map<Integer, Long> groupAt = new HashMap<>();
                Map<Integer, Long> firstAt = new HashMap<>();
                for (TopicPartition p : topic.getValue()) {
                    if (committed.get(p) != null) {
                        groupAt.put(p.partition(), committed.get(p).offset());
                    }
                    if (first.get(p) != null) {
                        firstAt.put(p.partition(), first.get(p));
                    }
                }
                String topicId = topicId(topic.getKey());
                if (config.ingest().resumeFrom() == ResumeFrom.GROUP) {
                    followGroup(topic.getKey(), topicId, topic.getValue(), committed, first);
                    continue;
                }
                ReadPositionRows.Resumption resumption = readPositions.resumeAt(topic.getKey(), topicId,
                        topic.getValue().stream().map(TopicPartition::partition).toList(), groupAt, firstAt);
                if (resumption.droppedTopicId() != null) {
                    LOG.infof("%s was made anew (deleted and created again, or another cluster's copy): its id is %s,"
                            + " the database's positions were of %s. They are dropped, and each partition resumes"
                            + " at the group's committed offset, else at its first record", topic.getKey(), topicId,
                            resumption.droppedTopicId());
                }
                resumption.offsets().forEach((partition, offset) -> kept.put(new TopicPartition(topic.getKey(),
                        partition), offset));
            }
        } catch (RuntimeException e) {
            LOG.warnf("Could not read where the database's records of %s end; resuming at the group's committed offsets:"
                    + " %s", partitions, Sanitize.forLog(String.valueOf(e.getMessage())));
            kept.clear();
        }
        return kept;
    }

    /**
     * {@code moratorium.ingest.resume-from=group}: the partitions resume at the group's committed
     * offsets (the consumer's own, no seek), as after an operator's {@code kafka-consumer-groups
     * --reset-offsets}, and the database's positions are set there (past records deleted unread), so
     * that the next start with {@code database} goes on from where this one was.
     */
    private void followGroup(String topic, String topicId, List<TopicPartition> partitions,
            Map<TopicPartition, OffsetAndMetadata> committed, Map<TopicPartition, Long> first) {
        Map<Integer, Long> at = new HashMap<>();
        for (TopicPartition p : partitions) {
            OffsetAndMetadata group = committed.get(p);
            Long start = first.get(p);
            Long from = group == null ? start : start == null ? Long.valueOf(group.offset()) : Math.max(group.offset(), start);
            if (from != null) {
                at.put(p.partition(), from);
            }
        }
        readPositions.follow(topic, topicId, at);
        LOG.infof("%s resumes at the group's committed offsets, else each partition's first (moratorium.ingest.resume-from"
                + "=group), and the database's positions are set there: %s. Set it back to database once started: while"
                + " it is group, a database restored from a backup resumes at the group's offsets and skips, for good,"
                + " what came after the backup", topic, new TreeMap<>(at));
    }

    /**
     * The topic's id, which tells the positions of a topic made anew from this one's; null, and the
     * positions taken as they are, when the broker cannot be asked.
     */
    private String topicId(String topic) {
        try {
            return consumerAdmin.topicId(topic);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            LOG.warnf("Could not ask the broker for %s's id; the database's positions are taken as this topic's"
                    + " (a topic made anew since would have its first records skipped): %s", topic,
                    Sanitize.forLog(String.valueOf(cause.getMessage())));
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        positions.forget(partitions);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        positions.forget(partitions);
    }

    /** Each batch the consumer is handed, before it is stored: offsets it skipped are checked with the broker. */
    public void read(ConsumerRecords<?, ?> batch) {
        List<ReadPositions.Skipped> skipped = positions.read(batch);
        if (skipped.isEmpty()) {
            return;
        }
        synchronized (asking) {
            if (waiting.size() + skipped.size() > MAX_WAITING) {
                LOG.debugf("%d skipped offset ranges left unchecked: %d wait for the broker", skipped.size(),
                        waiting.size());
                return;
            }
            waiting.addAll(skipped);
            if (askingBroker) {
                return; // asked with the next question
            }
            askingBroker = true;
        }
        askBroker();
    }

    /** Asks now, or once a second has passed since the last question, with what is waiting then. */
    private void askBroker() {
        long wait;
        synchronized (asking) {
            wait = nextQuestionAt - System.nanoTime();
        }
        if (wait <= 0) {
            askNow();
            return;
        }
        Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofNanos(wait))
                .subscribe().with(nothing -> askNow(), failure -> askNow());
    }

    private void askNow() {
        List<ReadPositions.Skipped> these;
        synchronized (asking) {
            if (waiting.isEmpty()) {
                askingBroker = false;
                return;
            }
            these = waiting;
            waiting = new ArrayList<>();
            nextQuestionAt = System.nanoTime() + askAtMostEvery.toNanos();
        }
        Set<TopicPartition> partitions = these.stream().map(ReadPositions.Skipped::partition).collect(Collectors.toSet());
        Function<Consumer<byte[], byte[]>, Map<TopicPartition, Long>> firstOffsets =
                consumer -> consumer.beginningOffsets(partitions, BROKER_WAIT);
        try {
            kafkaClients.<byte[], byte[]>getConsumer(Topics.POLICY_CHANGES).runOnPollingThread(firstOffsets)
                    .subscribe().with(first -> {
                        reportDeleted(these, first);
                        askBroker();
                    }, failure -> {
                        LOG.warnf("Could not ask the broker whether %d ranges of offsets of %s skipped were deleted"
                                + " unread: %s", these.size(), partitions,
                                Sanitize.forLog(String.valueOf(failure.getMessage())));
                        askBroker();
                    });
        } catch (RuntimeException e) {
            // the consumer closing: the service is stopping
            synchronized (asking) {
                askingBroker = false;
            }
            LOG.debugf("%d ranges of skipped offsets of %s not checked: %s", these.size(), partitions, e.getMessage());
        }
    }

    /** The skipped offsets below the partition's first one were deleted; those above it were never records the service could read. */
    void reportDeleted(List<ReadPositions.Skipped> skipped, Map<TopicPartition, Long> first) {
        for (ReadPositions.Skipped s : skipped) {
            Long start = first.get(s.partition());
            if (start != null && start > s.from()) {
                report(s.partition(), s.from(), Math.min(start, s.to()), s.to(),
                        "while the service was paused behind an outage or frozen (the consumer found its position gone)");
            }
        }
    }

    private void report(TopicPartition partition, long from, long to, long resumedAt, String when) {
        long lost = to - from;
        counter().increment(lost);
        LOG.warnf("Records of %s were deleted before the service read them: offsets %d to %d (%d), by the topic's"
                + " retention or kafka-delete-records, %s. The policy changes in them are lost to the service; it goes"
                + " on from offset %d (runbook: MoratoriumPolicyChangesDeletedUnread)", partition, from, to - 1, lost,
                when, resumedAt);
    }

    /**
     * The database's positions moved past records deleted unread, as the group's offset is: nothing
     * will be decided below them, and the next assignment would report the same loss again.
     */
    private void keepPast(Map<String, Map<Integer, Long>> firstOffsets) {
        try {
            firstOffsets.forEach(readPositions::moveTo);
        } catch (RuntimeException e) {
            LOG.warnf("Could not keep %s past the records deleted unread (they will be reported again at the next"
                    + " assignment): %s", firstOffsets, Sanitize.forLog(String.valueOf(e.getMessage())));
        }
    }

    private static void commitPast(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> commitNow) {
        if (commitNow.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(commitNow, BROKER_WAIT);
        } catch (RuntimeException e) {
            // the group's Read refused, or the broker gone: the same loss is counted at the next assignment
            LOG.warnf("Could not commit %s past records deleted unread or applied already (a loss is reported again"
                    + " at the next assignment): %s", commitNow.keySet(), Sanitize.forLog(String.valueOf(e.getMessage())));
        }
    }

    private Counter counter() {
        Counter c = deletedUnread;
        if (c == null) {
            c = Counter.builder("moratorium.policy.changes.deleted.unread")
                    .description("Offsets of policy-changes deleted (retention, kafka-delete-records) before the"
                            + " service read them, found when partitions are assigned or when the consumer skipped"
                            + " them: policy changes lost to it")
                    .register(registry);
            deletedUnread = c;
        }
        return c;
    }
}
