package dev.moratorium.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownServerException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/** Whose fault a failed send is, and the relay's time budget. */
class SendFailureTest {

    @Test
    void theRecordsFaultIsRefusedTheMomentsIsAnOutage() {
        assertThat(SendFailure.classify(new ExecutionException(new RecordTooLargeException("big"))))
                .isEqualTo(SendFailure.Kind.REFUSED);
        assertThat(SendFailure.classify(new InvalidTopicException("bad name"))).isEqualTo(SendFailure.Kind.REFUSED);
        assertThat(SendFailure.classify(new InvalidRecordException("bad"))).isEqualTo(SendFailure.Kind.REFUSED);
        assertThat(SendFailure.classify(new SerializationException("bad"))).isEqualTo(SendFailure.Kind.REFUSED);
        assertThat(SendFailure.classify(new UnknownServerException("?"))).isEqualTo(SendFailure.Kind.SUSPECT);
        assertThat(SendFailure.classify(new TimeoutException("slow"))).isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.classify(new NetworkException("down"))).isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.classify(new NotLeaderOrFollowerException("moved"))).isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.classify(new UnknownTopicOrPartitionException("missing")))
                .isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.classify(new TopicAuthorizationException("acl"))).isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.classify(new SaslAuthenticationException("password"))).isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.classify(new IllegalStateException("unknown"))).isEqualTo(SendFailure.Kind.OUTAGE);
        assertThat(SendFailure.describe(new ExecutionException(new RecordTooLargeException("3 MiB"))))
                .isEqualTo("RecordTooLargeException: 3 MiB");
    }

    @Test
    void theLeaseMustOutlastTheAcknowledgementWait() {
        assertThatThrownBy(() -> new RelayTimeouts(Duration.ofSeconds(15), Duration.ofSeconds(30)))
                .hasMessageContaining("must be longer than");
        assertThatThrownBy(() -> new RelayTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30)))
                .hasMessageContaining("must be longer than");
    }

    @Test
    void everyRecordsFateIsKnownWithinTheAcknowledgementWait() {
        RelayTimeouts t = new RelayTimeouts(Duration.ofSeconds(45), Duration.ofSeconds(30));
        // a send blocks at most maxBlock, then its record is delivered or failed within the delivery timeout
        assertThat(t.maxBlock().plus(t.deliveryTimeout())).isLessThan(t.ackTimeout());
        assertThat(t.deliveryTimeout()).isGreaterThanOrEqualTo(t.requestTimeout().plusMillis(2));
        Map<String, Object> config = new HashMap<>(Map.of("delivery.timeout.ms", 120_000));
        t.applyTo(config);
        assertThat(config).containsEntry("delivery.timeout.ms", 20_000).containsEntry("request.timeout.ms", 10_000)
                .containsEntry("max.block.ms", 5_000L);
    }
}
