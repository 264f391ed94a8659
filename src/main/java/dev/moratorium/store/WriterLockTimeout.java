package dev.moratorium.store;

/**
 * The writers' lock was not granted within {@code moratorium.writers.lock-timeout} (PostgreSQL
 * SQLState 55P03): another writer holds it, maybe frozen until PostgreSQL ends its session. The
 * work is fine and the service is briefly unable to do it — an outage, retried like one, never a
 * reason to reject a record.
 */
public final class WriterLockTimeout extends RuntimeException {

    public WriterLockTimeout(Throwable cause) {
        super("the writers' lock was not granted in time; another writer holds it", cause);
    }
}
