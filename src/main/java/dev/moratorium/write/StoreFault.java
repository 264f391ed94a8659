package dev.moratorium.write;

import dev.moratorium.store.SqlStates;
import dev.moratorium.store.WriterLockTimeout;
import java.sql.SQLException;

/**
 * Whose fault a failed write is. PostgreSQL says it in the SQLState's class: 22 (data exception —
 * a value too long, a NUL byte, a time out of range), 23 (a constraint) and 54 (a limit such as
 * nesting depth) are the data's: the same data fails again, so it is rejected, not retried. Every
 * other state — 08 connection, 57P shutdown, 53 resources, 40 serialization or deadlock, 55P03 lock
 * timeout, 57014 statement timeout — and a failure with no SQLState at all (a pool that cannot
 * connect) is an outage: the same data will go through once the database is back.
 *
 * <p>A failure with no SQL exception in its causes (our own code refusing a value) is the data's
 * too: retrying it can only fail the same way, and it must not stop the records behind it.
 */
public enum StoreFault {
    DATA, OUTAGE;

    public static StoreFault of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof WriterLockTimeout) {
                return OUTAGE;
            }
        }
        String state = sqlState(failure);
        if (state != null && state.length() >= 2) {
            return isDataClass(state) ? DATA : OUTAGE;
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException || isOutageType(t)) {
                return OUTAGE;
            }
        }
        return DATA;
    }

    /** The SQLState, when a cause has one; for sentences and logs. */
    public static String sqlState(Throwable failure) {
        return SqlStates.of(failure);
    }

    private static boolean isDataClass(String state) {
        return state.startsWith("22") || state.startsWith("23") || state.startsWith("54");
    }

    /** Failures of the transaction machinery or the network, whatever their SQL causes say. */
    private static boolean isOutageType(Throwable t) {
        String name = t.getClass().getName();
        return t instanceof java.io.IOException
                || name.startsWith("jakarta.transaction.")
                || name.startsWith("javax.transaction.")
                || name.equals("org.hibernate.exception.JDBCConnectionException")
                || name.equals("org.hibernate.exception.LockAcquisitionException")
                || name.equals("org.hibernate.PessimisticLockException")
                || name.equals("jakarta.persistence.PessimisticLockException")
                || name.equals("jakarta.persistence.QueryTimeoutException")
                || name.equals("org.hibernate.QueryTimeoutException")
                || name.equals("jakarta.persistence.LockTimeoutException");
    }
}
