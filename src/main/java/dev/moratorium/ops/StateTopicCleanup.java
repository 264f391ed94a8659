package dev.moratorium.ops;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The settings of {@code moratorium-state} that decide whether it keeps every policy's last state for
 * good, as the broker describes them (its effective values, defaults included). Subscribers rebuild
 * their table of current states from the topic alone, and the service publishes a policy's state only
 * when it changes, so a state the broker deletes is gone until someone republishes it.
 * <p>
 * Compaction keeps a key's last record for ever; deletion drops whole segments once they are older
 * than {@code retention.ms} or the partition is over {@code retention.bytes}, the last states in them
 * too. {@code cleanup.policy=compact,delete} does both, so it keeps the last states only with neither
 * limit (-1). A limit the broker did not report counts as one: a state lost unseen costs more than a
 * warning that was not needed. A topic a producer made by writing to it (a broker with {@code
 * auto.create.topics.enable}) gets the broker's default, {@code delete} and seven days.
 *
 * @param cleanupPolicy  {@code cleanup.policy} as the broker lists it, e.g. {@code compact,delete}
 * @param retentionMs    {@code retention.ms}, -1 for no limit; empty when the broker did not say
 * @param retentionBytes {@code retention.bytes}, -1 for no limit; empty when the broker did not say
 */
public record StateTopicCleanup(String cleanupPolicy, Optional<Long> retentionMs, Optional<Long> retentionBytes) {

    private static final long NO_LIMIT = -1;

    /** Whether every key's last record stays in the topic for good. */
    public boolean keepsLastStates() {
        // compaction keeps the topic small; what loses states is deletion, and only with a limit
        return !policies().contains("delete")
                || (retentionMs.orElse(0L) == NO_LIMIT && retentionBytes.orElse(0L) == NO_LIMIT);
    }

    /** The settings as an operator sets them: what a log line and the recorded risk quote. */
    public String describe() {
        StringBuilder s = new StringBuilder("cleanup.policy=").append(cleanupPolicy);
        if (policies().contains("delete")) {
            s.append(", retention.ms=").append(retentionMs.map(String::valueOf).orElse("?"));
            s.append(", retention.bytes=").append(retentionBytes.map(String::valueOf).orElse("?"));
        }
        return s.toString();
    }

    private Set<String> policies() {
        return Arrays.stream(cleanupPolicy.split(",")).map(p -> p.trim().toLowerCase(Locale.ROOT))
                .filter(p -> !p.isEmpty()).collect(Collectors.toSet());
    }
}
