package dev.moratorium.policy;

/** The two things a vendor can announce: a (temporary) moratorium or a (final) product withdrawal. */
public enum PolicyKind {
    MORATORIUM,
    WITHDRAWAL
}
