package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.store.ReadPositionRows.Resumption;
import dev.moratorium.store.RedeliveryChecks.KeptRejections;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A partition's position as the database keeps it: set by the transaction that decides its records
 * (lower too: a topic made anew starts again at 0), adopted from the group only where none is kept,
 * read for the partitions asked about alone, rolled back with the transaction that wrote it, and
 * dropped when the topic of its name is another.
 */
@QuarkusTest
class ReadPositionRowsTest {

    @Inject
    ReadPositionRows positions;

    @Inject
    EntityManager em;

    @Inject
    RedeliveryChecks redelivery;

    /** A topic of this test's own: the service's consumer keeps its positions under policy-changes. */
    private final String topic = "read-position-test-" + UUID.randomUUID();

    @Test
    void aDecidingTransactionSetsThePositionAndTheGroupIsAdoptedOnlyWhereNoneIsKept() {
        QuarkusTransaction.requiringNew().run(() -> positions.record(topic, Map.of(0, 5L, 1, 7L)));
        assertThat(read(List.of(0, 1, 2))).isEqualTo(Map.of(0, 5L, 1, 7L));

        QuarkusTransaction.requiringNew().run(() -> positions.record(topic, Map.of(0, 3L)));
        assertThat(read(List.of(0))).isEqualTo(Map.of(0, 3L));

        QuarkusTransaction.requiringNew().run(() -> positions.adopt(topic, Map.of(0, 99L, 2, 4L)));
        assertThat(read(List.of(0, 1, 2))).isEqualTo(Map.of(0, 3L, 1, 7L, 2, 4L));
        assertThat(read(List.of(1))).isEqualTo(Map.of(1, 7L));
        assertThat(QuarkusTransaction.requiringNew().call(() -> positions.of("another-" + topic, List.of(0, 1))))
                .isEmpty();
    }

    @Test
    void aPositionIsRolledBackWithItsTransaction() {
        QuarkusTransaction.requiringNew().run(() -> positions.record(topic, Map.of(0, 10L)));
        QuarkusTransaction.begin();
        positions.record(topic, Map.of(0, 20L));
        QuarkusTransaction.rollback();
        assertThat(read(List.of(0))).isEqualTo(Map.of(0, 10L));
    }

    /**
     * A partition without a position resumes at its first offset (nothing of it was decided here), or,
     * in a database that held data before positions were kept, at the group's committed offset; either
     * is kept at once. A kept position is answered as it is.
     */
    @Test
    void aPartitionWithoutAPositionResumesAtItsFirstOffsetOrTheGroupsInADatabaseThatHeldDataBefore() {
        QuarkusTransaction.requiringNew().run(() -> positions.record(topic, Map.of(0, 5L)));
        assertThat(positions.resumeAt(topic, null, List.of(0, 1, 2), Map.of(0, 50L, 1, 60L), Map.of(0, 3L, 1, 4L, 2, 7L))
                .offsets())
                .isEqualTo(Map.of(0, 5L, 1, 4L, 2, 7L));
        assertThat(read(List.of(0, 1, 2))).as("kept at once").isEqualTo(Map.of(0, 5L, 1, 4L, 2, 7L));

        String upgraded = topic + "-upgraded";
        boolean held = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                "SELECT held_data FROM read_position_origin").getSingleResult().equals(Boolean.TRUE));
        try {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE read_position_origin SET held_data = true")
                    .executeUpdate());
            assertThat(positions.resumeAt(upgraded, null, List.of(0, 1), Map.of(0, 50L), Map.of(0, 3L, 1, 4L)).offsets())
                    .as("the group's where it committed, else the first").isEqualTo(Map.of(0, 50L, 1, 4L));
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE read_position_origin SET held_data = :held")
                    .setParameter("held", held).executeUpdate());
        }
    }

    /**
     * Positions are of the topic they were kept for, named by its id: the first id given takes the
     * positions kept (a database of V25); another id (the topic deleted and created again, or another
     * cluster's copy) drops every position of the name, this assignment's partitions and the others',
     * and each partition resumes at the group's committed offset on the new topic, else its first.
     * Without an id (the broker not asked) they are taken as they are.
     */
    @Test
    void positionsKeptForAnotherTopicOfTheNameAreDropped() {
        QuarkusTransaction.requiringNew().run(() -> positions.record(topic, Map.of(0, 11L, 1, 7L, 2, 5L)));
        assertThat(positions.resumeAt(topic, "id-a", List.of(0, 1), Map.of(), Map.of(0, 0L, 1, 0L)))
                .as("the first id named takes the positions kept").isEqualTo(new Resumption(Map.of(0, 11L, 1, 7L), null));
        assertThat(positions.resumeAt(topic, "id-a", List.of(0, 1), Map.of(), Map.of(0, 0L, 1, 0L)))
                .isEqualTo(new Resumption(Map.of(0, 11L, 1, 7L), null));

        assertThat(positions.resumeAt(topic, "id-b", List.of(0, 1), Map.of(1, 3L), Map.of(0, 0L, 1, 0L)))
                .as("made anew: the group's offset on it, else the first")
                .isEqualTo(new Resumption(Map.of(0, 0L, 1, 3L), "id-a"));
        assertThat(read(List.of(0, 1, 2))).as("kept at once; partition 2's old position dropped too")
                .isEqualTo(Map.of(0, 0L, 1, 3L));

        QuarkusTransaction.requiringNew().run(() -> positions.record(topic, Map.of(0, 4L)));
        assertThat(positions.resumeAt(topic, null, List.of(0, 1), Map.of(), Map.of(0, 0L, 1, 0L)))
                .as("no id: as kept").isEqualTo(new Resumption(Map.of(0, 4L, 1, 3L), null));
        assertThat(positions.resumeAt(topic, "id-b", List.of(0, 1, 2), Map.of(), Map.of(0, 0L, 1, 0L, 2, 0L)))
                .isEqualTo(new Resumption(Map.of(0, 4L, 1, 3L, 2, 0L), null));

        // resume-from=group: set where the group resumes them, as this topic's
        QuarkusTransaction.requiringNew().run(() -> positions.follow(topic, "id-b", Map.of(0, 9L)));
        assertThat(read(List.of(0, 1, 2))).isEqualTo(Map.of(0, 9L, 1, 3L, 2, 0L));
        QuarkusTransaction.requiringNew().run(() -> positions.follow(topic, "id-c", Map.of(1, 2L)));
        assertThat(read(List.of(0, 1, 2))).as("another topic's: the old positions dropped").isEqualTo(Map.of(1, 2L));
    }

    /**
     * A rejection is recognised by where it was read only among those of the topic's present
     * incarnation: the name's generation is raised when another id drops the positions, and the old
     * topic's rejection at an offset is not the new topic's record there read again; a rejection of
     * the new topic at the same offset can be kept beside it.
     */
    @Test
    void rejectionsOfATopicMadeAnewAreNotTheNewTopicsRecords() {
        assertThat(QuarkusTransaction.requiringNew().call(() -> redelivery.keptOffsets(topic, 0, 0, 10)))
                .as("a topic never named").isEqualTo(new KeptRejections(0, Set.of()));
        positions.resumeAt(topic, "id-a", List.of(0), Map.of(), Map.of(0, 0L));
        keepRejection(5, 0);
        assertThat(QuarkusTransaction.requiringNew().call(() -> redelivery.keptOffsets(topic, 0, 0, 10)))
                .isEqualTo(new KeptRejections(0, Set.of(5L)));

        positions.resumeAt(topic, "id-b", List.of(0), Map.of(), Map.of(0, 0L));
        assertThat(QuarkusTransaction.requiringNew().call(() -> redelivery.keptOffsets(topic, 0, 0, 10)))
                .as("made anew").isEqualTo(new KeptRejections(1, Set.of()));
        keepRejection(5, 1);
        assertThat(QuarkusTransaction.requiringNew().call(() -> redelivery.keptOffsets(topic, 0, 0, 10)))
                .isEqualTo(new KeptRejections(1, Set.of(5L)));
        assertThat(QuarkusTransaction.requiringNew().call(() -> redelivery.keptOffsets(topic, 0, 6, 10)))
                .isEqualTo(new KeptRejections(1, Set.of()));
    }

    private void keepRejection(long offset, int generation) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("INSERT INTO rejection (id, topic, topic_generation,"
                + " kafka_partition, kafka_offset, headers, reason_code, reason_message, received_at, status, retry_count)"
                + " VALUES (nextval('rejection_seq'), :topic, :generation, 0, :offset, '[]', 'malformed-json', 'x', now(),"
                + " 'OPEN', 0)").setParameter("topic", topic).setParameter("generation", generation)
                .setParameter("offset", offset).executeUpdate());
    }

    private Map<Integer, Long> read(List<Integer> partitions) {
        return QuarkusTransaction.requiringNew().call(() -> positions.of(topic, partitions));
    }
}
