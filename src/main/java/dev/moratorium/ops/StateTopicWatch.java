package dev.moratorium.ops;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.store.TopicsSeen;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
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
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * Watches {@code moratorium-state}, the compacted topic subscribers rebuild their table of current
 * states from, for the two changes that break it without any record failing:
 * <ul>
 * <li><b>made anew</b> (deleted and created again, to change its partitions as the runbook says, or by
 * mistake): the topic is empty, and the service publishes a policy's state only when it changes, so
 * nothing would bring the states back. It gets a new id; the replica that records the new id first
 * records, in the same transaction, a run that publishes every policy's current state again
 * ({@link StateRepublish#startFromFirst}), which it then takes.</li>
 * <li><b>partitions added in place</b>: a key's partition is its hash modulo the count, so a policy's
 * next state goes to another partition than its last one, which compaction keeps for ever; a
 * subscriber rebuilding its table may take the stale one. Nothing the service publishes can repair
 * that (a tombstone in the old partition may be read after the new state), so it is reported, on
 * every replica, until the topic is made anew: {@code moratorium_state_topic_partitions_added}, the
 * alert {@code MoratoriumStateTopicPartitionsAdded} and a WARN line.</li>
 * </ul>
 * Each replica asks the broker for the topic's id and partitions every
 * {@code moratorium.state-topic.check-every} and compares them with {@code kafka_topic_seen}, which
 * is written only on a change, by the replica that holds the row's lock.
 */
@ApplicationScoped
public class StateTopicWatch {

    private static final Logger LOG = Logger.getLogger(StateTopicWatch.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "moratorium-state not checked");

    /** A replica frozen inside its short check transaction must not hold the others' checks longer. */
    static final long LOCK_TIMEOUT_MILLIS = 2_000;
    private static final Duration BROKER_WAIT = Duration.ofSeconds(15);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    MoratoriumConfig config;

    @Inject
    TopicsSeen seen;

    @Inject
    StateRepublish republish;

    @Inject
    MeterRegistry registry;

    private volatile Admin admin;
    /** Partitions added in place since the topic's id was first seen; NaN until the first check. */
    private volatile double partitionsAdded = Double.NaN;

    void registerGauge(@Observes StartupEvent event) {
        Gauge.builder("moratorium.state.topic.partitions.added", this, w -> w.partitionsAdded)
                .description("Partitions added to moratorium-state in place since it was made: above 0, subscribers"
                        + " rebuilding their table may take stale states (runbook: Changing a topic's partitions)")
                .register(registry);
    }

    @Scheduled(every = "${moratorium.state-topic.check-every}", delayed = "5s",
            skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void check() {
        try {
            TopicDescription topic = describe();
            String id = topic.topicId().toString();
            int partitions = topic.partitions().size();
            boolean refill = QuarkusTransaction.requiringNew().call(() -> record(id, partitions));
            failureLog.succeeded();
            if (refill) {
                republish.adopt(); // at once; any replica would take it within seconds
            }
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String reason = cause instanceof UnknownTopicOrPartitionException ? "the topic does not exist"
                    : cause.getClass().getSimpleName() + ": " + cause.getMessage();
            failureLog.failed("asking again at the next check: " + Sanitize.forLog(reason));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private TopicDescription describe() throws InterruptedException, ExecutionException, TimeoutException {
        return admin().describeTopics(List.of(Topics.STATE)).topicNameValues().get(Topics.STATE)
                .get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * In the check's transaction: compares with the row, locked, and records a change.
     *
     * @return whether this replica recorded the topic as made anew, and a run to refill it
     */
    private boolean record(String id, int partitions) {
        TopicsSeen.Seen known = seen.lock(Topics.STATE, LOCK_TIMEOUT_MILLIS).orElse(null);
        switch (TopicChange.between(Optional.ofNullable(known), id, partitions)) {
            case FIRST_SEEN -> {
                if (seen.recordId(Topics.STATE, id, null, partitions)) {
                    LOG.infof("moratorium-state first seen: id %s, %d partitions", id, partitions);
                }
                partitionsAdded = 0;
            }
            case MADE_ANEW -> {
                seen.recordId(Topics.STATE, id, known.topicId(), partitions);
                partitionsAdded = 0;
                String what = String.format("moratorium-state was made anew (id %s, %d partitions; before: id %s, %d)",
                        id, partitions, known.topicId(), known.partitions());
                if (!config.stateTopic().republishWhenMadeAnew()) {
                    LOG.warnf("%s: its current states are gone, and moratorium.state-topic.republish-when-made-anew"
                            + " is false: nothing is published to it again until POST /ops/state-republish", what);
                    return false;
                }
                // in this transaction: the run is recorded with the new id, or neither is
                republish.startFromFirst(what);
                LOG.warnf("%s: its current states are gone; publishing every policy's current state to it", what);
                return true;
            }
            case PARTITIONS_CHANGED -> {
                seen.recordPartitions(Topics.STATE, id, partitions);
                partitionsAdded = partitions - known.partitionsWhenMade();
                warnPartitionsAdded(partitions, known.partitionsWhenMade());
            }
            case NONE, LATE_LOOK -> {
                boolean firstLook = Double.isNaN(partitionsAdded);
                partitionsAdded = known.partitions() - known.partitionsWhenMade();
                if (firstLook && known.partitions() != known.partitionsWhenMade()) {
                    // recorded by another replica, or before this one started: said once here too
                    warnPartitionsAdded(known.partitions(), known.partitionsWhenMade());
                }
            }
        }
        return false;
    }

    private static void warnPartitionsAdded(int partitions, int whenMade) {
        LOG.warnf("moratorium-state has %d partitions, %d when it was made: a policy whose key now maps to"
                + " another partition keeps its last state in the old one, and subscribers rebuilding"
                + " their table may take it. Make the topic anew with the partitions wanted (runbook:"
                + " Changing a topic's partitions); the service then publishes every current state to it",
                partitions, whenMade);
    }

    private Admin admin() {
        Admin a = admin;
        if (a == null) {
            synchronized (this) {
                if (admin == null) {
                    admin = Admin.create(adminConfig());
                }
                a = admin;
            }
        }
        return a;
    }

    /** The global kafka.* settings an admin client knows (security among them), with its own bounds. */
    private Map<String, Object> adminConfig() {
        Map<String, Object> c = new HashMap<>(kafkaConfig);
        c.keySet().retainAll(AdminClientConfig.configNames());
        c.put(AdminClientConfig.CLIENT_ID_CONFIG, "moratorium-state-topic-watch");
        c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) BROKER_WAIT.toMillis());
        return c;
    }

    @PreDestroy
    void close() {
        Admin a = admin;
        if (a != null) {
            a.close(Duration.ofSeconds(2));
        }
    }
}
