package dev.moratorium.ops;

import dev.moratorium.ingest.ConsumerAdmin;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.Topics;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * Whether the broker lets the {@code policy-changes} consumer read: the topic exists (the consumer
 * does not create it), {@code Read} on it (without it every fetch is refused) and on its group
 * (without it every commit is refused, and a consumer that joins anew cannot). A missing ACL is not
 * a failed authentication: the connection is open, the client's metrics show nothing wrong, the
 * connector retries the refused poll for ever, and a replica whose state no longer follows the topic
 * would go on answering access decisions as if it did. So the broker is asked what the consumer's user may do (its authorized operations,
 * KIP-430), with the consumer's own settings and so as its user, every
 * {@code moratorium.health.grants-check-every}; {@link KafkaConsumerHealthCheck} reads the answer
 * (a probe must not wait on the broker).
 */
@ApplicationScoped
public class ConsumerGrantsWatch {

    private static final Logger LOG = Logger.getLogger(ConsumerGrantsWatch.class);
    private static final Duration BROKER_WAIT = ConsumerAdmin.BROKER_WAIT;
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG,
            "The policy-changes consumer's ACLs not checked");

    /** What the broker last said: Read on the topic and on the consumer's group. */
    public record Grants(ReadGrant topicRead, ReadGrant groupRead, String group) {
        static final Grants UNKNOWN = new Grants(ReadGrant.UNKNOWN, ReadGrant.UNKNOWN, "");
    }

    @Inject
    ConsumerAdmin consumerAdmin;

    private volatile Grants latest = Grants.UNKNOWN;

    public Grants latest() {
        return latest;
    }

    @Scheduled(every = "${moratorium.health.grants-check-every}", delayed = "1s",
            skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void check() {
        Optional<Map<String, ?>> settings = consumerAdmin.consumerSettings();
        if (settings.isEmpty()) {
            return; // the channel has not started: the readiness check says so
        }
        String group = String.valueOf(settings.get().get(ConsumerConfig.GROUP_ID_CONFIG));
        try {
            Admin a = consumerAdmin.admin().orElseThrow();
            Grants now = new Grants(topicRead(a), groupRead(a, group), group);
            failureLog.succeeded();
            report(latest, now);
            latest = now;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            failureLog.failed("asking again at the next check: " + cause.getClass().getSimpleName() + ": "
                    + Sanitize.forLog(cause.getMessage()));
            // an outage is the broker's, which the connector's own readiness check reports
            latest = Grants.UNKNOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ReadGrant topicRead(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return ReadGrant.of(admin.describeTopics(List.of(Topics.POLICY_CHANGES),
                    new DescribeTopicsOptions().includeAuthorizedOperations(true)).topicNameValues()
                    .get(Topics.POLICY_CHANGES).get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS).authorizedOperations());
        } catch (ExecutionException e) {
            // Read implies Describe: a user refused Describe is refused Read as well
            if (e.getCause() instanceof TopicAuthorizationException) {
                return ReadGrant.REFUSED;
            }
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return ReadGrant.MISSING;
            }
            throw e;
        }
    }

    private static ReadGrant groupRead(Admin admin, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return ReadGrant.of(admin.describeConsumerGroups(List.of(group),
                    new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true)).describedGroups()
                    .get(group).get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS).authorizedOperations());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupAuthorizationException) {
                return ReadGrant.REFUSED;
            }
            throw e;
        }
    }

    /** A change of either grant is said once: the runbook's MoratoriumTopicGrowsNothingConsumed says what to do. */
    private static void report(Grants before, Grants now) {
        if (now.topicRead() != before.topicRead()) {
            if (now.topicRead() == ReadGrant.REFUSED) {
                LOG.warnf("The broker refuses the service's Kafka user Read on %s (its ACLs): nothing is fetched, and"
                        + " this replica is not ready until it is granted again (runbook:"
                        + " MoratoriumTopicGrowsNothingConsumed)", Topics.POLICY_CHANGES);
            } else if (now.topicRead() == ReadGrant.MISSING) {
                LOG.warnf("%s does not exist: nothing is fetched, and this replica is not ready until it is made"
                        + " (the service never creates it: k8s/base/kafka-topics.yaml)", Topics.POLICY_CHANGES);
            } else if (before.topicRead() == ReadGrant.REFUSED) {
                LOG.infof("Read on %s is granted again", Topics.POLICY_CHANGES);
            } else if (before.topicRead() == ReadGrant.MISSING) {
                LOG.infof("%s exists now", Topics.POLICY_CHANGES);
            }
        }
        if (now.groupRead() != before.groupRead()) {
            if (now.groupRead() == ReadGrant.REFUSED) {
                LOG.warnf("The broker refuses the service's Kafka user Read on the group %s (its ACLs): the offsets"
                        + " of what is applied are not committed (a restart reads those records again, as"
                        + " duplicates), and a consumer that joins the group anew cannot (runbook:"
                        + " MoratoriumTopicGrowsNothingConsumed)", Sanitize.forLog(now.group()));
            } else if (before.groupRead() == ReadGrant.REFUSED) {
                LOG.infof("Read on the group %s is granted again", Sanitize.forLog(now.group()));
            }
        }
    }
}
