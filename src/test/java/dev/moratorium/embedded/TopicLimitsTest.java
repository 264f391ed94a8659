package dev.moratorium.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/**
 * A dead letter is an input record plus one header, so every topic the service writes must accept
 * more than policy-changes does — in the embedded layout and in the Strimzi resources alike.
 */
class TopicLimitsTest {

    @Test
    void outputTopicsAcceptWhatTheInputAcceptsPlusHeadroom() throws Exception {
        assertThat(Topics.OUTPUT_MAX_BYTES).isGreaterThanOrEqualTo(Topics.INPUT_MAX_BYTES + 16 * 1024);
        Map<String, Integer> embedded = new HashMap<>();
        for (NewTopic t : TopicLayout.topics(1)) {
            embedded.put(t.name(), Integer.parseInt(t.configs().get("max.message.bytes")));
        }
        Map<String, Integer> k8s = strimziLimits(Files.readString(Path.of("k8s/base/kafka-topics.yaml")));
        for (Map<String, Integer> limits : java.util.List.of(embedded, k8s)) {
            assertThat(limits).containsEntry(Topics.POLICY_CHANGES, Topics.INPUT_MAX_BYTES)
                    .containsEntry(Topics.DEAD_LETTER, Topics.OUTPUT_MAX_BYTES)
                    .containsEntry(Topics.NOTIFICATIONS, Topics.OUTPUT_MAX_BYTES)
                    .containsEntry(Topics.STATE, Topics.OUTPUT_MAX_BYTES);
        }
    }

    /** KafkaTopic name → spec.config max.message.bytes, from the multi-document YAML. */
    private static Map<String, Integer> strimziLimits(String yaml) {
        Map<String, Integer> limits = new HashMap<>();
        Pattern name = Pattern.compile("(?m)^  name: (\\S+)");
        Pattern max = Pattern.compile("(?m)^    max\\.message\\.bytes: (\\d+)");
        for (String doc : yaml.split("(?m)^---")) {
            Matcher n = name.matcher(doc);
            Matcher m = max.matcher(doc);
            if (n.find() && m.find()) {
                limits.put(n.group(1), Integer.parseInt(m.group(1)));
            }
        }
        return limits;
    }
}
