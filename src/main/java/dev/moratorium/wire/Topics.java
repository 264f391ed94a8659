package dev.moratorium.wire;

/** The topic names of CONTRACT.md; the channels are named after them. */
public final class Topics {

    public static final String POLICY_CHANGES = "policy-changes";
    public static final String NOTIFICATIONS = "moratorium-notifications";
    public static final String STATE = "moratorium-state";
    public static final String DEAD_LETTER = "policy-changes-dlq";

    /**
     * The largest record {@code policy-changes} accepts ({@code max.message.bytes}): a record over
     * 64 KiB is rejected as too-large, but must reach the service to be dead-lettered.
     */
    public static final int INPUT_MAX_BYTES = 2 * 1024 * 1024;

    /**
     * The largest record the output topics accept and the relay's producer sends
     * ({@code max.message.bytes}, {@code max.request.size}). A dead letter is an input record plus
     * the {@code dead-letter-reason} header (a code and a sentence, under 1 KiB) and so can be a
     * little larger than the largest input: the headroom keeps the DLQ from refusing what the input
     * topic accepted. Notifications and state records are far smaller; the same limit keeps one
     * rule for every topic the service writes.
     */
    public static final int OUTPUT_MAX_BYTES = INPUT_MAX_BYTES + 64 * 1024;

    private Topics() {
    }
}
