package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.Test;

class ReadGrantTest {

    @Test
    void readOrAllGrantsIt() {
        assertThat(ReadGrant.of(Set.of(AclOperation.READ, AclOperation.DESCRIBE))).isEqualTo(ReadGrant.GRANTED);
        assertThat(ReadGrant.of(Set.of(AclOperation.ALL))).isEqualTo(ReadGrant.GRANTED);
        // what a broker without an authorizer lists for a topic: every operation
        assertThat(ReadGrant.of(EnumSet.complementOf(EnumSet.of(AclOperation.UNKNOWN, AclOperation.ANY))))
                .isEqualTo(ReadGrant.GRANTED);
    }

    @Test
    void describeOrWriteWithoutReadIsRefused() {
        // Describe is what the KafkaUser keeps when Read is taken away and Write on the topic remains
        assertThat(ReadGrant.of(Set.of(AclOperation.DESCRIBE, AclOperation.WRITE))).isEqualTo(ReadGrant.REFUSED);
        assertThat(ReadGrant.of(Set.of())).isEqualTo(ReadGrant.REFUSED);
    }

    @Test
    void aBrokerThatDidNotSayLeavesItUnknown() {
        assertThat(ReadGrant.of(null)).isEqualTo(ReadGrant.UNKNOWN);
        assertThat(ReadGrant.UNKNOWN.label()).isEqualTo("unknown");
    }
}
