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
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
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
 * <li><b>set to delete records</b> ({@link StateTopicCleanup}: {@code cleanup.policy} with {@code delete}
 * and a retention limit, as a topic made by a producer writing to it on a broker that creates topics
 * gets): policies' last states are deleted once old enough. Reported on every replica while it lasts
 * ({@code moratorium_state_topic_keeps_last_states} 0, the alert {@code MoratoriumStateTopicDeletesStates}),
 * recorded once; the replica that finds the topic keeping them again publishes every current state
 * again, since some may have been deleted meanwhile.</li>
 * </ul>
 * Each replica asks the broker for the topic's id, partitions and settings every
 * {@code moratorium.state-topic.check-every} and compares them with {@code kafka_topic_seen}, which
 * is written only on a change, by the replica that holds the row's lock.
 */
@ApplicationScoped
public class StateTopicWatch {

    private static final Logger LOG = Logger.getLogger(StateTopicWatch.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "moratorium-state not checked");
    private final RepeatedFailureLog cleanupLog = RepeatedFailureLog.to(LOG,
            "moratorium-state's cleanup.policy and retention not checked");

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
    /** 1 while the topic keeps every policy's last state, 0 while it may delete them; NaN while not known. */
    private volatile double keepsLastStates = Double.NaN;

    /** What this replica last saw of the topic (every check), as {@code /ops/status} answers it. */
    @Schema(name = "StateTopic")
    public record Status(
            @Schema(nullable = true, description = "partitions added in place since the topic was made: above 0,"
                    + " subscribers may take stale states; null before the first look") Integer partitionsAdded,
            @Schema(nullable = true, description = "false while its cleanup.policy and retention may delete policies'"
                    + " last states; null before the first look, or when the service may not ask (DescribeConfigs)")
            Boolean keepsLastStates) {
    }

    /** What this replica last saw: each null until known. */
    public Status status() {
        double added = partitionsAdded;
        double keeps = keepsLastStates;
        return new Status(Double.isNaN(added) ? null : (int) added, Double.isNaN(keeps) ? null : keeps == 1);
    }

    void registerGauge(@Observes StartupEvent event) {
        Gauge.builder("moratorium.state.topic.partitions.added", this, w -> w.partitionsAdded)
                .description("Partitions added to moratorium-state in place since it was made: above 0, subscribers"
                        + " rebuilding their table may take stale states (runbook: Changing a topic's partitions)")
                .register(registry);
        Gauge.builder("moratorium.state.topic.keeps.last.states", this, w -> w.keepsLastStates)
                .description("1 while moratorium-state keeps every policy's last state for good, 0 while its"
                        + " cleanup.policy and retention may delete them (runbook: MoratoriumStateTopicDeletesStates);"
                        + " NaN while not known")
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
            Optional<StateTopicCleanup> cleanup = cleanup();
            boolean firstLook = Double.isNaN(keepsLastStates);
            // the broker's answer, whether or not the database can record it
            cleanup.ifPresent(c -> keepsLastStates = c.keepsLastStates() ? 1 : 0);
            boolean refill = QuarkusTransaction.requiringNew().call(() -> {
                boolean madeAnew = record(id, partitions);
                // false after made anew: that cleared what was recorded, and its refill covers it
                boolean keptAgain = cleanup.map(c -> recordCleanup(c, firstLook)).orElse(false);
                return madeAnew || keptAgain;
            });
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
     * The topic's settings that decide what the broker deletes; empty when it cannot be asked (the
     * watch's credentials may lack {@code DescribeConfigs} on the topic): the rest of the check goes on.
     */
    private Optional<StateTopicCleanup> cleanup() throws InterruptedException {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.STATE);
        try {
            Config config = admin().describeConfigs(List.of(topic)).values().get(topic)
                    .get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            ConfigEntry policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (policy == null || policy.value() == null) {
                throw new IllegalStateException("the broker did not say its cleanup.policy");
            }
            cleanupLog.succeeded();
            return Optional.of(new StateTopicCleanup(policy.value(), number(config, TopicConfig.RETENTION_MS_CONFIG),
                    number(config, TopicConfig.RETENTION_BYTES_CONFIG)));
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String reason = cause instanceof TopicAuthorizationException
                    ? "DescribeConfigs on the topic is not allowed to the service's Kafka user"
                    : cause.getClass().getSimpleName() + ": " + cause.getMessage();
            cleanupLog.failed("asking again at the next check: " + Sanitize.forLog(reason));
            keepsLastStates = Double.NaN;
            return Optional.empty();
        }
    }

    private static Optional<Long> number(Config config, String name) {
        ConfigEntry entry = config.get(name);
        try {
            return entry == null || entry.value() == null ? Optional.empty() : Optional.of(Long.parseLong(entry.value()));
        } catch (NumberFormatException e) {
            return Optional.empty(); // counted as a limit: see StateTopicCleanup
        }
    }

    /**
     * In the check's transaction, after {@link #record}: records that the topic may delete last
     * states, or that it keeps them again.
     *
     * @param firstLook whether this replica had not seen the settings before: it says so in its log once
     * @return whether this replica found the topic keeping them again and recorded a run to refill it
     */
    private boolean recordCleanup(StateTopicCleanup cleanup, boolean firstLook) {
        TopicsSeen.Seen known = seen.lock(Topics.STATE, LOCK_TIMEOUT_MILLIS).orElseThrow(); // record() wrote it
        if (!cleanup.keepsLastStates()) {
            if (seen.recordStatesAtRisk(Topics.STATE, cleanup.describe()) || firstLook) {
                LOG.warnf("moratorium-state may delete policies' last states (%s): subscribers rebuilding their"
                        + " table from it would miss the policies whose last state is older than the limit. Set"
                        + " cleanup.policy=compact (runbook: MoratoriumStateTopicDeletesStates); the service then"
                        + " publishes every current state to it again", Sanitize.forLog(cleanup.describe()));
            }
            return false;
        }
        if (known.statesAtRiskSince() == null || !seen.clearStatesAtRisk(Topics.STATE)) {
            return false;
        }
        String what = String.format("moratorium-state keeps every last state again (%s); since %s it was set to"
                + " delete them (%s)", cleanup.describe(), known.statesAtRiskSince(), known.statesAtRiskSettings());
        if (!config.stateTopic().republishAfterStatesAtRisk()) {
            LOG.warnf("%s, and moratorium.state-topic.republish-after-states-at-risk is false: states it deleted are"
                    + " not published again until POST /ops/state-republish", Sanitize.forLog(what));
            return false;
        }
        republish.startFromFirst(what);
        LOG.warnf("%s: publishing every policy's current state to it again, for those it deleted", Sanitize.forLog(what));
        return true;
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
