package dev.moratorium.store;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Values of native queries, whose Java types depend on the driver and Hibernate's version. */
public final class SqlValues {

    private SqlValues() {
    }

    /** A {@code timestamptz} column as an instant, whichever type the driver returned it as; null stays null. */
    public static Instant instant(Object value) {
        if (value == null || value instanceof Instant) {
            return (Instant) value;
        } else if (value instanceof OffsetDateTime o) {
            return o.toInstant();
        } else if (value instanceof Timestamp t) {
            return t.toInstant();
        }
        return Instant.parse(value.toString());
    }
}
