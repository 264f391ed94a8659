package dev.moratorium.policy;

/** Where a policy stands on the service clock; the wire values of CONTRACT.md §2. */
public enum PolicyStatus {
    /** Announced, but {@code effectiveFrom} has not been reached yet. */
    SCHEDULED,
    /** A moratorium in force. */
    ACTIVE,
    /** A moratorium that reached its {@code effectiveUntil}. */
    EXPIRED,
    /** A moratorium ended early by {@code moratorium.lifted}. */
    LIFTED,
    /** A product withdrawal in force; a withdrawal never ends. */
    WITHDRAWN
}
