package dev.moratorium.write;

/**
 * Fired by {@link PolicyWrites} inside each write transaction that changed something; observers
 * declared with {@code @Observes(during = TransactionPhase.AFTER_SUCCESS)} hear it only once the
 * transaction has committed, and never for one that rolled back.
 */
public enum WritesCommitted {
    INSTANCE
}
