package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class StateTopicCleanupTest {

    private static final Optional<Long> NO_LIMIT = Optional.of(-1L);
    private static final Optional<Long> SEVEN_DAYS = Optional.of(604_800_000L);

    @Test
    void compactionAloneKeepsEveryLastStateWhateverTheRetention() {
        StateTopicCleanup compact = new StateTopicCleanup("compact", SEVEN_DAYS, Optional.of(1_073_741_824L));
        assertThat(compact.keepsLastStates()).isTrue();
        assertThat(compact.describe()).as("a retention it ignores is not quoted").isEqualTo("cleanup.policy=compact");
    }

    @Test
    void deletionWithTheBrokersDefaultsLosesStates() {
        // what a topic made by a producer's first write gets from a broker that creates topics
        StateTopicCleanup delete = new StateTopicCleanup("delete", SEVEN_DAYS, NO_LIMIT);
        assertThat(delete.keepsLastStates()).isFalse();
        assertThat(delete.describe()).isEqualTo("cleanup.policy=delete, retention.ms=604800000, retention.bytes=-1");
    }

    @Test
    void compactAndDeleteKeepThemOnlyWithNeitherLimit() {
        assertThat(new StateTopicCleanup("compact,delete", SEVEN_DAYS, NO_LIMIT).keepsLastStates()).isFalse();
        assertThat(new StateTopicCleanup("delete,compact", NO_LIMIT, Optional.of(10_000L)).keepsLastStates()).isFalse();
        assertThat(new StateTopicCleanup("compact,delete", NO_LIMIT, NO_LIMIT).keepsLastStates()).isTrue();
        assertThat(new StateTopicCleanup("delete", NO_LIMIT, NO_LIMIT).keepsLastStates())
                .as("nothing deleted, nothing compacted: every record stays").isTrue();
    }

    @Test
    void aListAsTheBrokerMightSpellItIsRead() {
        assertThat(new StateTopicCleanup(" Compact , DELETE ", SEVEN_DAYS, NO_LIMIT).keepsLastStates()).isFalse();
        assertThat(new StateTopicCleanup("compact,", SEVEN_DAYS, NO_LIMIT).keepsLastStates()).isTrue();
    }

    @Test
    void aLimitTheBrokerDidNotSayCountsAsOne() {
        StateTopicCleanup unsaid = new StateTopicCleanup("compact,delete", Optional.empty(), NO_LIMIT);
        assertThat(unsaid.keepsLastStates()).isFalse();
        assertThat(unsaid.describe()).isEqualTo("cleanup.policy=compact,delete, retention.ms=?, retention.bytes=-1");
    }
}
