package dev.moratorium.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.embedded.TopicLayout;
import dev.moratorium.testing.Events;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;

/**
 * Records deleted before the service read them (the topic's retention while the service was
 * stopped; here kafka-delete-records, which moves the partition's start the same way): the
 * restarted service goes on from the first record left, as before, and now says what was lost —
 * a WARN naming the partition and the offsets, and the counter of them. Before, nothing did. Then
 * the same while the service runs and keeps its partition, frozen as behind a long outage. Then the
 * topic made anew, past where the old one was read: read from its first record, its records at offsets
 * where the old topic's rejections were applied or rejected as their own. Then records skipped by an
 * operator's reset of the group's offsets. Then a partition added while the service runs: its first
 * record applied within seconds, not at the consumer's next metadata refresh minutes later.
 */
class RetentionGapIT {

    private static final TopicPartition PARTITION = new TopicPartition("policy-changes", 0);

    @Test
    void recordsDeletedBeforeTheServiceReadThemAreReportedAndTheRestApplies() throws Exception {
        try (Harness h = new Harness(1); Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                h.kafka.bootstrapServers()))) {
            ServiceProcess service = h.service("retention-gap");
            service.start();
            service.awaitReady(RunSettings.READY);
            h.send(announce("before"));
            h.flush();
            awaitCommitted(admin, 1);
            service.terminate(Duration.ofSeconds(20));

            for (int i = 1; i <= 5; i++) {
                h.send(announce("lost-" + i)); // offsets 1 to 5, never read
            }
            h.flush();
            admin.deleteRecords(Map.of(PARTITION, RecordsToDelete.beforeOffset(6))).all().get(30, TimeUnit.SECONDS);

            service.start();
            service.awaitReady(RunSettings.READY);
            awaitCommitted(admin, 6); // no record follows the gap: committed past it when it was found
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id LIKE 'lost-%'")).isZero();
            assertThat(service.logLines("WARN")).as(service.diagnose()).anySatisfy(line -> assertThat(line)
                    .contains("Records of policy-changes-0 were deleted before the service read them: offsets 1 to 5 (5)"));
            assertThat(service.metric("moratorium_policy_changes_deleted_unread_total")).isEqualTo(5.0);
            // committed past before the consumer looked for its position: no reset by the Kafka client
            assertThat(service.logLines("INFO")).noneSatisfy(line -> assertThat(line)
                    .contains("is out of range for partition policy-changes-0, resetting offset"));
            service.terminate(Duration.ofSeconds(20));

            // started again: the same loss is not reported twice (it was, at every start, while no record came)
            h.send(announce("after")); // offset 6
            h.flush();
            service.start();
            service.awaitReady(RunSettings.READY);
            awaitCommitted(admin, 7);
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id = 'after'")).isOne();
            assertThat(service.metric("moratorium_policy_changes_deleted_unread_total")).isZero();
            assertThat(service.logLines("WARN")).noneSatisfy(line -> assertThat(line).contains("were deleted before"));

            // Running, it keeps its partition while frozen (as when paused behind a long database outage);
            // records are deleted before it fetched them. The Kafka client resets its position to the
            // first record left, saying so only at INFO; before, nothing else said that policy changes
            // had been lost.
            service.freeze();
            try {
                Thread.sleep(1500); // the fetch it had waiting at the broker is answered, empty
                for (int i = 1; i <= 3; i++) {
                    h.send(announce("paused-lost-" + i)); // offsets 7 to 9, never fetched
                }
                h.flush();
                admin.deleteRecords(Map.of(PARTITION, RecordsToDelete.beforeOffset(10))).all().get(30, TimeUnit.SECONDS);
                h.send(announce("after-reset")); // offset 10
                h.flush();
            } finally {
                service.thaw();
            }
            awaitCommitted(admin, 11);
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id = 'after-reset'")).isOne();
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id LIKE 'paused-lost-%'")).isZero();
            awaitMetric(service, "moratorium_policy_changes_deleted_unread_total", 3.0);
            assertThat(service.logLines("WARN")).as(service.diagnose()).anySatisfy(line -> assertThat(line)
                    .contains("Records of policy-changes-0 were deleted before the service read them: offsets 7 to 9 (3)")
                    .contains("it goes on from offset 10"));
            h.send(malformed("old-bad-1")); // offset 11: rejected, kept by where it was read
            h.send(malformed("old-bad-2")); // offset 12
            h.flush();
            awaitCommitted(admin, 13);
            assertThat(h.count("SELECT count(*) FROM rejection WHERE kafka_offset IN (11, 12)")).isEqualTo(2);
            service.terminate(Duration.ofSeconds(20));

            // The topic made anew while the service is stopped (deleted and created again: to change its
            // partitions, as the runbook says, or by mistake) and filled past where the old one was read.
            // The database's position (13) is the old topic's: the service resumed there and skipped the
            // new topic's first 13 records for good. And a record kept as a rejection is recognised by
            // where it was read: the new topic's records at offsets 11 and 12, where the old topic's
            // rejections were, were taken for them read again and skipped, the valid one too.
            madeAnew(admin);
            System.out.printf("reliability topic made anew: the group's offset on it %s%n", admin.listConsumerGroupOffsets(
                    Harness.SERVICE_GROUP).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(PARTITION));
            for (int i = 1; i <= 12; i++) {
                h.send(announce("anew-" + i)); // offsets 0 to 11 of the new topic
            }
            h.send(malformed("anew-bad")); // offset 12
            for (int i = 13; i <= 15; i++) {
                h.send(announce("anew-" + i)); // offsets 13 to 15
            }
            h.flush();
            service.start();
            service.awaitReady(RunSettings.READY);
            awaitCommitted(admin, 16);
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id LIKE 'anew-%'"))
                    .as("announcements on the topic made anew applied").isEqualTo(15);
            assertThat(h.count("SELECT count(*) FROM rejection WHERE kafka_offset = 12"))
                    .as("the new topic's rejection kept beside the old one's at the same offset").isEqualTo(2);
            awaitDeadLetters(h, 3);
            List<String> anew = service.logLines("INFO").stream().filter(l -> l.contains("policy-changes was made anew"))
                    .toList();
            assertThat(anew).as(service.diagnose()).hasSize(1);
            System.out.println("reliability topic made anew: " + anew.get(0));
            assertThat(service.metric("moratorium_policy_changes_deleted_unread_total")).isZero();
            service.terminate(Duration.ofSeconds(20));

            // An operator skips records: with the service stopped, the group's offset is set past them
            // (kafka-consumer-groups --reset-offsets); the database's position (16) would read them, so the
            // service is started once with moratorium.ingest.resume-from=group.
            for (int i = 1; i <= 3; i++) {
                h.send(announce("skipped-" + i)); // offsets 16 to 18
            }
            h.send(announce("after-skip")); // offset 19
            h.flush();
            admin.alterConsumerGroupOffsets(Harness.SERVICE_GROUP, Map.of(PARTITION, new OffsetAndMetadata(19))).all()
                    .get(30, TimeUnit.SECONDS);
            ServiceProcess followingGroup = h.service("retention-gap-group", h.postgres.jdbcUrl(),
                    Map.of("MORATORIUM_INGEST_RESUME_FROM", "group"));
            followingGroup.start();
            followingGroup.awaitReady(RunSettings.READY);
            awaitCommitted(admin, 20);
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id = 'after-skip'")).isOne();
            assertThat(h.count("SELECT count(*) FROM policy WHERE policy_id LIKE 'skipped-%'")).as("skipped").isZero();
            assertThat(h.count("SELECT next_offset FROM read_position WHERE topic = 'policy-changes'")).isEqualTo(20);
            assertThat(followingGroup.logLines("INFO")).as(followingGroup.diagnose()).anySatisfy(line -> assertThat(line)
                    .contains("policy-changes resumes at the group's committed offsets").contains("{0=19}"));

            // A partition added in place while the service runs (more partitions, for more pods): its
            // records waited for the consumer's next look at the topic's metadata, every 5 minutes by
            // Kafka's default (under ./mvnw quarkus:dev one was applied 197 s after it was sent). The
            // service of the phase before goes on; how it resumed does not matter here.
            h.send(announce("before-partition"), 0).get(30, TimeUnit.SECONDS); // offset 20: the consumer has its
            awaitCommitted(admin, 21); // partition, and the topic's metadata it looked at as it joined
            admin.createPartitions(Map.of(PARTITION.topic(), NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);
            long sent = System.nanoTime();
            h.send(announce("new-partition"), 1).get(30, TimeUnit.SECONDS);
            long deadline = sent + Duration.ofSeconds(60).toNanos();
            while (h.count("SELECT count(*) FROM policy WHERE policy_id = 'new-partition'") == 0) {
                assertThat(System.nanoTime()).as("the record on the partition added applied").isLessThan(deadline);
                Thread.sleep(200);
            }
            System.out.printf("reliability partition added: its first record applied %d ms after it was sent%n",
                    Duration.ofNanos(System.nanoTime() - sent).toMillis());
            followingGroup.terminate(Duration.ofSeconds(20));
        }
    }

    /** Deletes policy-changes and creates it again as the broker first had it, once the deletion is done. */
    private static void madeAnew(Admin admin) throws Exception {
        admin.deleteTopics(List.of(PARTITION.topic())).all().get(30, TimeUnit.SECONDS);
        NewTopic layout = TopicLayout.topics(1).stream().filter(t -> t.name().equals(PARTITION.topic())).findFirst()
                .orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                admin.createTopics(List.of(layout)).all().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200); // the deletion not finished yet
            }
        }
    }

    private static void awaitMetric(ServiceProcess service, String name, double value) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (service.metric(name) != value) {
            assertThat(System.nanoTime()).as("%s = %s, now %s", name, value, service.metric(name)).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Until policy-changes-dlq holds {@code count} records (the outbox publishes them after the commit). */
    private static void awaitDeadLetters(Harness h, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (h.readTopic("policy-changes-dlq").size() < count) {
            assertThat(System.nanoTime()).as("%d dead letters", count).isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(h.readTopic("policy-changes-dlq")).hasSize(count);
    }

    /** A record that is not JSON: rejected malformed-json. */
    private static Workload.Rec malformed(String key) {
        return new Workload.Rec(key, "{\"specversion\":".getBytes(StandardCharsets.UTF_8), "rejected:malformed-json");
    }

    private static Workload.Rec announce(String id) {
        return new Workload.Rec(id, Events.announce(id + "-announced", id, "2020-06-10", null)
                .getBytes(StandardCharsets.UTF_8), "applied");
    }

    /** Until the service's group has committed {@code offset} on the partition (every 5 s at most). */
    private static void awaitCommitted(Admin admin, long offset) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            OffsetAndMetadata at = admin.listConsumerGroupOffsets(Harness.SERVICE_GROUP).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(PARTITION);
            if (at != null && at.offset() >= offset) {
                return;
            }
            assertThat(System.nanoTime()).as("committed offset %d, now %s", offset, at).isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
