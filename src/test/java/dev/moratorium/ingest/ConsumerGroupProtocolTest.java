package dev.moratorium.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The classic protocol's client-side settings, kept or left out by the protocol the consumer joins with. */
class ConsumerGroupProtocolTest {

    private final ConsumerGroupProtocol protocol = new ConsumerGroupProtocol();

    @Test
    void theClassicProtocolKeepsTheServicesSessionSettings() {
        assertThat(protocol.customize("policy-changes", null, settings(null))).containsEntry("session.timeout.ms", "10000")
                .containsEntry("heartbeat.interval.ms", "3000").containsEntry("max.poll.records", "500");
        assertThat(protocol.customize("policy-changes", null, settings("classic"))).containsKey("session.timeout.ms");
    }

    @Test
    void theConsumerProtocolLeavesOutWhatItRefusesInAnyCase() {
        for (String spelling : new String[] {"consumer", "CONSUMER", " Consumer "}) {
            Map<String, Object> with = settings(spelling);
            with.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
            assertThat(protocol.customize("policy-changes", null, with)).as(spelling)
                    .doesNotContainKeys("session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy")
                    .containsEntry("max.poll.records", "500").containsEntry("group.protocol", spelling);
        }
    }

    @Test
    void anotherChannelIsLeftAsItIs() {
        assertThat(protocol.customize("moratorium-notifications", null, settings("consumer")))
                .containsKey("session.timeout.ms");
    }

    private static Map<String, Object> settings(String groupProtocol) {
        Map<String, Object> settings = new HashMap<>(Map.of("session.timeout.ms", "10000", "heartbeat.interval.ms", "3000",
                "max.poll.records", "500"));
        if (groupProtocol != null) {
            settings.put("group.protocol", groupProtocol);
        }
        return settings;
    }
}
