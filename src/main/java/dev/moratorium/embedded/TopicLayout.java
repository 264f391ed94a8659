package dev.moratorium.embedded;

import dev.moratorium.config.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/** The four topics of the contract as the embedded broker creates them (k8s/ declares them for real clusters). */
public final class TopicLayout {

    private static final String TWO_MIB = String.valueOf(2 * 1024 * 1024);

    private TopicLayout() {
    }

    public static List<NewTopic> topics(int partitions) {
        return List.of(
                new NewTopic(Topics.POLICY_CHANGES, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", TWO_MIB)),
                new NewTopic(Topics.NOTIFICATIONS, partitions, (short) 1),
                new NewTopic(Topics.STATE, partitions, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.1",
                                "segment.ms", "600000")),
                new NewTopic(Topics.DEAD_LETTER, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", TWO_MIB)));
    }
}
