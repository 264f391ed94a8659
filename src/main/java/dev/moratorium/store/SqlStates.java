package dev.moratorium.store;

import java.sql.SQLException;

/** PostgreSQL's SQLState of a failure, however wrapped (Hibernate, JTA, the pool). */
public final class SqlStates {

    /** A lock not granted within the transaction's {@code lock_timeout}. */
    static final String LOCK_NOT_AVAILABLE = "55P03";

    private SqlStates() {
    }

    /** The SQLState of the first cause that has one; null if none has. */
    public static String of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    /** Whether the failure is a lock not granted within the lock timeout (55P03). */
    public static boolean lockNotGranted(Throwable failure) {
        return LOCK_NOT_AVAILABLE.equals(of(failure));
    }
}
