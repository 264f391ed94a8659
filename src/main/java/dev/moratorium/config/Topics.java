package dev.moratorium.config;

/** The topic names of CONTRACT.md; the channels are named after them. */
public final class Topics {

    public static final String POLICY_CHANGES = "policy-changes";
    public static final String NOTIFICATIONS = "moratorium-notifications";
    public static final String STATE = "moratorium-state";
    public static final String DEAD_LETTER = "policy-changes-dlq";

    private Topics() {
    }
}
