package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import java.util.List;
import java.util.Set;

/**
 * Takes {@code n} values of a sequence in one round trip. Used for notification and outbox ids
 * (history ids are taken by AppendOnlyRows' INSERT itself), which must follow commit order: the caller holds the writers' lock, so no other transaction
 * takes values between this one's, and the block is used at once (a pooled optimizer would hand
 * out values reserved earlier, out of commit order across replicas).
 */
@ApplicationScoped
public class SequenceBlock {

    /** Only these may be named: the name is part of the SQL text. */
    private static final Set<String> SEQUENCES = Set.of("notification_seq", "outbox_seq");

    @Inject
    EntityManager em;

    /** @return {@code n} new values, ascending */
    public long[] next(String sequence, int n) {
        if (!SEQUENCES.contains(sequence)) {
            throw new IllegalArgumentException("not an ordered sequence: " + sequence);
        }
        @SuppressWarnings("unchecked")
        List<Number> values = em.createNativeQuery(
                "SELECT nextval('" + sequence + "') FROM generate_series(1, ?1)")
                .setParameter(1, n)
                .setFlushMode(FlushModeType.COMMIT) // nothing pending concerns a sequence
                .getResultList();
        return values.stream().mapToLong(Number::longValue).sorted().toArray();
    }
}
