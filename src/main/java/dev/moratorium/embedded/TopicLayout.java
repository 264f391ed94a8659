package dev.moratorium.embedded;

import dev.moratorium.wire.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/** The four topics of the contract as the embedded broker creates them (k8s/ declares them for real clusters). */
public final class TopicLayout {

    private static final String INPUT_MAX = String.valueOf(Topics.INPUT_MAX_BYTES);
    /** What the service writes may be a little larger than what it reads (see Topics.OUTPUT_MAX_BYTES). */
    private static final String OUTPUT_MAX = String.valueOf(Topics.OUTPUT_MAX_BYTES);

    private TopicLayout() {
    }

    public static List<NewTopic> topics(int partitions) {
        return List.of(
                new NewTopic(Topics.POLICY_CHANGES, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", INPUT_MAX)),
                new NewTopic(Topics.NOTIFICATIONS, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", OUTPUT_MAX)),
                new NewTopic(Topics.STATE, partitions, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.1",
                                "segment.ms", "600000", "max.message.bytes", OUTPUT_MAX)),
                new NewTopic(Topics.DEAD_LETTER, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", OUTPUT_MAX)));
    }
}
