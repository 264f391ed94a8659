package dev.moratorium.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.Set;
import org.hibernate.Session;

/**
 * Takes {@code n} values of a sequence in one round trip. Used for notification and outbox ids
 * (history ids are the column's default, drawn by AppendOnlyRows' COPY itself), which must follow commit order: the
 * caller holds the writers' lock, so no other transaction takes values between this one's, and the
 * block is used at once (a pooled optimizer would hand out values reserved earlier, out of commit
 * order across replicas). Plain JDBC on the transaction's connection, like the rows that use the
 * values: it runs twice in every write transaction, and a Hibernate native query allocated 10 kB
 * each time.
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
        long[] values = em.unwrap(Session.class).doReturningWork(c -> {
            long[] taken = new long[n];
            try (PreparedStatement s = c.prepareStatement("SELECT nextval('" + sequence + "') FROM generate_series(1, ?)")) {
                s.setInt(1, n);
                try (ResultSet rs = s.executeQuery()) {
                    for (int i = 0; i < n; i++) {
                        if (!rs.next()) {
                            throw new IllegalStateException("generate_series gave fewer than " + n + " rows");
                        }
                        taken[i] = rs.getLong(1);
                    }
                }
            }
            return taken;
        });
        Arrays.sort(values);
        return values;
    }
}
