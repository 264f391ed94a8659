package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A partition's position as the database keeps it: set by the transaction that decides its records
 * (lower too: a topic made anew starts again at 0), adopted from the group only where none is kept,
 * read for the partitions asked about alone, and rolled back with the transaction that wrote it.
 */
@QuarkusTest
class ReadPositionRowsTest {

    @Inject
    ReadPositionRows positions;

    @Inject
    EntityManager em;

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
        assertThat(positions.resumeAt(topic, List.of(0, 1, 2), Map.of(0, 50L, 1, 60L), Map.of(0, 3L, 1, 4L, 2, 7L)))
                .isEqualTo(Map.of(0, 5L, 1, 4L, 2, 7L));
        assertThat(read(List.of(0, 1, 2))).as("kept at once").isEqualTo(Map.of(0, 5L, 1, 4L, 2, 7L));

        String upgraded = topic + "-upgraded";
        boolean held = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                "SELECT held_data FROM read_position_origin").getSingleResult().equals(Boolean.TRUE));
        try {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE read_position_origin SET held_data = true")
                    .executeUpdate());
            assertThat(positions.resumeAt(upgraded, List.of(0, 1), Map.of(0, 50L), Map.of(0, 3L, 1, 4L)))
                    .as("the group's where it committed, else the first").isEqualTo(Map.of(0, 50L, 1, 4L));
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE read_position_origin SET held_data = :held")
                    .setParameter("held", held).executeUpdate());
        }
    }

    private Map<Integer, Long> read(List<Integer> partitions) {
        return QuarkusTransaction.requiringNew().call(() -> positions.of(topic, partitions));
    }
}
