package dev.moratorium.gateway;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessExplainer;
import dev.moratorium.policy.AccessRules;
import dev.moratorium.policy.Policy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Access decisions in the gateway's own process: the client reads the compacted
 * {@code moratorium-state} topic from the beginning (every partition assigned, no consumer group,
 * nothing committed: each client keeps its own complete view), follows it, and answers with the
 * service's own {@link AccessRules}. A decision is a map look-up and a loop over the product's
 * policies — no network. When the broker is away the client keeps answering from its last view;
 * {@link #staleness()} says how current that view is, and listeners hear of every change.
 *
 * <pre>{@code
 * try (var client = MoratoriumGatewayClient.builder().bootstrapServers("localhost:9092").start()) {
 *     client.awaitLoaded(Duration.ofSeconds(30));
 *     AccessDecision d = client.decide("Amazon", "Rekognition", "police", null, "US", Instant.now());
 * }
 * }</pre>
 */
public final class MoratoriumGatewayClient implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MoratoriumGatewayClient.class.getName());
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration SYNC_CHECK = Duration.ofSeconds(1);
    private static final Duration BROKER_TIMEOUT = Duration.ofSeconds(5);

    private final String topic;
    private final Properties kafka;
    private final Clock clock;
    private final PolicyView view = new PolicyView();
    private final List<PolicyChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch loaded = new CountDownLatch(1);
    private volatile Instant lastUpdateAt;
    private volatile Instant lastSyncedAt;
    private volatile long lag = -1;
    private volatile long unreadable;
    private volatile boolean running;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Admin admin;
    private Uuid topicId;
    private Thread thread;

    private MoratoriumGatewayClient(Builder builder) {
        this.topic = builder.topic;
        this.clock = builder.clock;
        this.kafka = new Properties();
        kafka.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, builder.bootstrapServers);
        kafka.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        kafka.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        kafka.put(ConsumerConfig.CLIENT_ID_CONFIG, "moratorium-gateway-client");
        // how soon partitions added to the topic are seen (and read): Kafka's default is 5 minutes
        kafka.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "30000");
        // a gateway started before the platform made the topic waits for it: on a broker that creates
        // the topics clients name (Kafka's default), asking for its partitions made it with the broker's
        // defaults (one partition, records deleted after a week), which the service cannot mend
        kafka.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        // the service publishes without transactions, but the topic a gateway reads may be a copy
        // written in them (MirrorMaker 2 or a connector with exactly-once): the client's default,
        // read_uncommitted, decided on states the copier aborted and wrote again
        kafka.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        kafka.putAll(builder.kafkaProperties);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A client that only holds the policies given to it: for tests, and for measuring decisions. */
    static MoratoriumGatewayClient offline(Clock clock) {
        return new Builder().bootstrapServers("unused:9092").clock(clock).build();
    }

    // ---- decisions ----

    /** The decision for a caller without a jurisdiction: every policy applies (contract v1). */
    public AccessDecision decide(String vendor, String product, String segment, String organization, Instant at) {
        return AccessRules.decide(view.policiesFor(vendor, product), segment, organization, null, at);
    }

    /**
     * The same decision {@code GET /access} gives for these parameters, from the local view.
     *
     * @param organization optional
     * @param jurisdiction optional: ISO 3166-1 alpha-2, optionally with a subdivision ({@code US-CA})
     * @param at           when the access happens
     */
    public AccessDecision decide(String vendor, String product, String segment, String organization,
            String jurisdiction, Instant at) {
        return AccessRules.decide(view.policiesFor(vendor, product), segment, organization, jurisdiction, at);
    }

    /** The decision with its explanation, as {@code GET /access?explain=true}. */
    public AccessExplainer.Explained explain(String vendor, String product, String segment, String organization,
            String jurisdiction, Instant at) {
        return AccessExplainer.explain(view.policiesFor(vendor, product), segment, organization, jurisdiction, at, null);
    }

    public Optional<Policy> policy(String policyId) {
        return view.policy(policyId);
    }

    public Staleness staleness() {
        return new Staleness(loaded.getCount() == 0, lastUpdateAt, lastSyncedAt, lag, view.size());
    }

    /** State records that could not be read (and were skipped) since the start. */
    public long unreadableRecords() {
        return unreadable;
    }

    public void addListener(PolicyChangeListener listener) {
        listeners.add(listener);
    }

    public void removeListener(PolicyChangeListener listener) {
        listeners.remove(listener);
    }

    /** Waits until the view holds the topic as it stood when the client started; false on timeout. */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- the view, kept by one thread ----

    /** Applies one state record: a policy's whole state, or a tombstone ({@code value} null). */
    void apply(String key, byte[] value) {
        Policy before;
        Policy after;
        if (value == null) {
            if (key == null) {
                return;
            }
            before = view.remove(key);
            after = null;
            if (before == null) {
                return;
            }
        } else {
            try {
                after = StateRecords.parse(value);
            } catch (IllegalArgumentException e) {
                unreadable++;
                LOG.log(System.Logger.Level.WARNING, "Skipped a moratorium-state record (key {0}): {1}", key,
                        e.getMessage());
                return;
            }
            before = view.put(after);
        }
        lastUpdateAt = clock.instant();
        String policyId = after != null ? after.policyId() : key;
        for (PolicyChangeListener listener : listeners) {
            try {
                listener.changed(policyId, before, after);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "A policy change listener failed", e);
            }
        }
    }

    /** Starts following the topic on a daemon thread; decisions answer from the view meanwhile. */
    public MoratoriumGatewayClient start() {
        consumer = new KafkaConsumer<>(kafka, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        admin = Admin.create(adminSettings(kafka));
        running = true;
        thread = new Thread(this::follow, "moratorium-gateway-client");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void follow() {
        List<TopicPartition> partitions = null;
        Map<TopicPartition, Long> endAtStart = null;
        Instant nextSyncCheck = Instant.MIN;
        Instant nextIdentityCheck = Instant.MIN;
        Duration identityCheck = metadataMaxAge(kafka);
        while (running) {
            try {
                if (partitions == null) {
                    topicId = topicIdNow(); // before the partitions: a topic made anew in between is seen next time
                    List<PartitionInfo> infos = consumer.partitionsFor(topic, BROKER_TIMEOUT);
                    if (infos == null || infos.isEmpty()) {
                        pause();
                        continue;
                    }
                    partitions = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                    endAtStart = consumer.endOffsets(partitions, BROKER_TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    apply(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value());
                }
                Instant now = clock.instant();
                if (!now.isBefore(nextSyncCheck)) {
                    nextSyncCheck = now.plus(SYNC_CHECK);
                    partitions = withPartitionsNow(partitions);
                    if (!now.isBefore(nextIdentityCheck)) {
                        nextIdentityCheck = now.plus(identityCheck);
                        fromTheBeginningIfMadeAnew(partitions);
                    }
                    checkSync(partitions, endAtStart, now);
                }
            } catch (WakeupException e) {
                return;
            } catch (KafkaException e) {
                // broker away or slow: keep the view, keep answering, try again
                LOG.log(System.Logger.Level.DEBUG, "moratorium-state not reachable: {0}", e.getMessage());
                pause();
            }
        }
    }

    /**
     * The topic's partitions as the client's metadata now has them (refreshed every 30 s). The
     * service publishes a policy's states to the partition its key maps to, and that changes with
     * the partition count: after the topic is made anew with more partitions (as the service's
     * runbook says to change them), a policy's current state may be in a partition the client did
     * not read, and it would decide on what it held before for good. Added partitions are read from
     * their beginning; the others go on where they are (a topic made anew starts them again at its
     * beginning: their positions are past its end, and the client resets to the earliest).
     */
    private List<TopicPartition> withPartitionsNow(List<TopicPartition> assigned) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, BROKER_TIMEOUT);
        if (infos == null || infos.isEmpty()) {
            return assigned; // the topic deleted, not made again yet: keep the view and look again
        }
        List<TopicPartition> now = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        if (new HashSet<>(now).equals(new HashSet<>(assigned))) {
            return assigned;
        }
        List<TopicPartition> added = now.stream().filter(tp -> !assigned.contains(tp)).toList();
        consumer.assign(now);
        consumer.seekToBeginning(added);
        LOG.log(System.Logger.Level.INFO, "{0} has {1} partitions, {2} before: reading {3} from the beginning",
                topic, now.size(), assigned.size(), added);
        return now;
    }

    /**
     * Reads every partition again from its beginning when the topic is not the one the client was
     * reading (its id changed: deleted and made again, as the service's runbook does to change its
     * partitions, and the service then publishes every policy's state to it). A position past the
     * new topic's end is reset to its beginning by the consumer, but one within it is not: a client
     * that fetched again only once the new topic held as many records as it had read before went on
     * from there, and never saw the states written before it (a moratorium made indefinite, in the
     * test). Reading the whole topic again costs what the first load did, once per topic made anew.
     */
    private void fromTheBeginningIfMadeAnew(List<TopicPartition> partitions) {
        Uuid now = topicIdNow();
        if (now == null) {
            return; // gone, not made again yet, or not to be described: positions as they are
        }
        if (topicId != null && !now.equals(topicId)) {
            LOG.log(System.Logger.Level.INFO, "{0} was made anew (id {1}, {2} before): reading all of it again",
                    topic, now, topicId);
            consumer.seekToBeginning(partitions);
        }
        topicId = now;
    }

    /**
     * How often the consumer refreshes its metadata, read as Kafka reads the setting (a number, or
     * text with spaces around it): parsed more strictly, a setting Kafka took would have ended the
     * client's thread, and a client that never loads answers "allowed" to everything.
     */
    static Duration metadataMaxAge(Properties settings) {
        Object value = settings.get(ConsumerConfig.METADATA_MAX_AGE_CONFIG);
        try {
            return Duration.ofMillis(value instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(value).strip()));
        } catch (NumberFormatException e) {
            return Duration.ofMinutes(5); // not reached: the consumer, made first, refuses what Kafka cannot read
        }
    }

    /** The topic's id as the broker has it now; null when it cannot be told. */
    private Uuid topicIdNow() {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(BROKER_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS).get(topic).topicId();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0} not described: {1}", topic, e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return null;
        }
    }

    /** The consumer's settings an admin client takes (servers, security), under a client id of its own. */
    private static Properties adminSettings(Properties consumerSettings) {
        Properties settings = new Properties();
        for (String name : AdminClientConfig.configNames()) {
            if (consumerSettings.containsKey(name)) {
                settings.put(name, consumerSettings.get(name));
            }
        }
        settings.put(AdminClientConfig.CLIENT_ID_CONFIG, consumerSettings.get(ConsumerConfig.CLIENT_ID_CONFIG) + "-topic-id");
        return settings;
    }

    /** Asks the broker where the topic ends: lag, and whether the view is (still) complete. */
    private void checkSync(List<TopicPartition> partitions, Map<TopicPartition, Long> endAtStart, Instant now) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, BROKER_TIMEOUT);
        long behind = 0;
        boolean startReached = true;
        Map<TopicPartition, Long> positions = new HashMap<>();
        for (TopicPartition tp : partitions) {
            long position = consumer.position(tp, BROKER_TIMEOUT);
            positions.put(tp, position);
            behind += Math.max(0, end.getOrDefault(tp, 0L) - position);
            startReached &= position >= endAtStart.getOrDefault(tp, 0L);
        }
        lag = behind;
        if (behind == 0) {
            lastSyncedAt = now;
        }
        if (startReached) {
            loaded.countDown();
        }
    }

    private void pause() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
            try {
                thread.join(BROKER_TIMEOUT.toMillis() * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(BROKER_TIMEOUT));
            admin.close(BROKER_TIMEOUT);
        }
    }

    /** Where the topic is and how to reach it; every other Kafka setting can be passed through. */
    public static final class Builder {
        private String bootstrapServers;
        private String topic = "moratorium-state";
        private Clock clock = Clock.systemUTC();
        private final Map<String, Object> kafkaProperties = new HashMap<>();

        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = servers;
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** Any Kafka consumer setting, e.g. {@code security.protocol}, {@code sasl.jaas.config}. */
        public Builder kafkaProperty(String name, Object value) {
            kafkaProperties.put(name, value);
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public MoratoriumGatewayClient build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrapServers is required");
            }
            return new MoratoriumGatewayClient(this);
        }

        /** Builds the client and starts following the topic. */
        public MoratoriumGatewayClient start() {
            return build().start();
        }
    }
}
