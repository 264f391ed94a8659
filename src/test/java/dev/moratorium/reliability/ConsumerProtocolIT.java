package dev.moratorium.reliability;

import static dev.moratorium.reliability.RunSettings.CATCH_UP;
import static dev.moratorium.reliability.RunSettings.EVENTS;
import static dev.moratorium.reliability.RunSettings.POLICIES;
import static dev.moratorium.reliability.RunSettings.READY;
import static dev.moratorium.reliability.RunSettings.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupType;
import org.junit.jupiter.api.Test;

/**
 * The {@code policy-changes} consumer on Kafka's consumer rebalance protocol (KIP-848), chosen as a
 * platform chooses it, {@code KAFKA_GROUP_PROTOCOL=consumer}. Before, the service did not start: the
 * Kafka client refused the classic protocol's {@code session.timeout.ms} and
 * {@code heartbeat.interval.ms}, which the service sets. Two replicas share the partitions; one
 * stops (SIGTERM, leaving the group) in the middle of a stream and the other takes its partitions
 * over, resuming where the database's records end. Nothing lost, nothing applied or published twice.
 */
class ConsumerProtocolIT {

    private static final int PARTITIONS = 6;
    private static final Map<String, String> CONSUMER_PROTOCOL = Map.of("KAFKA_GROUP_PROTOCOL", "consumer");

    @Test
    void twoReplicasOnTheConsumerProtocolShareTheWorkAndHandItOverWithoutLossOrDuplicates() throws Exception {
        Workload w = Workload.generate(Math.min(EVENTS, 2_000), Math.min(POLICIES, 100), SEED + 9, "kip848");
        try (Harness h = new Harness(PARTITIONS); Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, h.kafka.bootstrapServers()))) {
            ServiceProcess a = h.service("consumer-protocol-a", h.postgres.jdbcUrl(), CONSUMER_PROTOCOL);
            ServiceProcess b = h.service("consumer-protocol-b", h.postgres.jdbcUrl(), CONSUMER_PROTOCOL);
            a.start();
            b.start();
            a.awaitReady(READY);
            b.awaitReady(READY);
            ConsumerGroupDescription shared = awaitMembers(admin, 2);
            System.out.println("reliability consumer protocol: " + shared.members().stream()
                    .map(m -> m.clientId() + " " + m.assignment().topicPartitions().size()).toList());
            assertThat(shared.type()).isEqualTo(GroupType.CONSUMER);
            assertThat(a.logLines("INFO")).as(a.diagnose()).anySatisfy(line -> assertThat(line)
                    .contains("policy-changes joins its group with the consumer protocol"));

            h.produce(w.records);
            long target = h.appliedCount() + w.applied / 3;
            while (h.appliedCount() < target) {
                Thread.sleep(20);
            }
            a.terminate(Duration.ofSeconds(20));
            assertThat(awaitMembers(admin, 1).members().iterator().next().assignment().topicPartitions()).hasSize(PARTITIONS);
            h.awaitCaughtUp(w, CATCH_UP, b);
            System.out.println("reliability consumer protocol, one replica stopped: " + h.verify(w, List.of(b)));
            b.terminate(Duration.ofSeconds(20));
        }
    }

    /**
     * Until the service's group has {@code members}, each holding some partitions and together all:
     * "ready" says the consumer runs, not that the group has given it partitions yet.
     */
    private static ConsumerGroupDescription awaitMembers(Admin admin, int members) throws Exception {
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(Harness.SERVICE_GROUP))
                    .describedGroups().get(Harness.SERVICE_GROUP).get(30, TimeUnit.SECONDS);
            List<Integer> held = group.members().stream().map(MemberDescription::assignment)
                    .map(assigned -> assigned.topicPartitions().size()).toList();
            if (held.size() == members && !held.contains(0) && held.stream().mapToInt(Integer::intValue).sum() == PARTITIONS) {
                return group;
            }
            assertThat(System.nanoTime()).as("%d members holding every partition, now %s", members, held)
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
