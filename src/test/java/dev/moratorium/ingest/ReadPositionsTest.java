package dev.moratorium.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ReadPositionsTest {

    private static final TopicPartition P0 = new TopicPartition("policy-changes", 0);
    private static final TopicPartition P1 = new TopicPartition("policy-changes", 1);

    private final ReadPositions positions = new ReadPositions();

    @Test
    void consecutiveOffsetsSkipNothingAcrossBatches() {
        positions.expect(P0, 7);
        assertThat(positions.read(batch(P0, 7, 8, 9))).isEmpty();
        assertThat(positions.read(batch(P0, 10))).isEmpty();
    }

    @Test
    void offsetsJumpedOverAreSkippedWithinABatchAndBetweenBatches() {
        positions.expect(P0, 7);
        assertThat(positions.read(batch(P0, 7, 9, 10))).containsExactly(new ReadPositions.Skipped(P0, 8, 9));
        assertThat(positions.read(batch(P0, 40))).containsExactly(new ReadPositions.Skipped(P0, 11, 40));
    }

    @Test
    void theFirstBatchOfAPartitionNotExpectedSetsItsPosition() {
        assertThat(positions.read(batch(P0, 100, 101))).isEmpty();
        assertThat(positions.read(batch(P0, 103))).containsExactly(new ReadPositions.Skipped(P0, 102, 103));
    }

    @Test
    void aRecordReadAgainMovesThePositionBackWithoutASkip() {
        positions.expect(P0, 20);
        assertThat(positions.read(batch(P0, 15, 16))).isEmpty();
        assertThat(positions.read(batch(P0, 17))).isEmpty();
    }

    @Test
    void partitionsAreFollowedApartAndForgotten() {
        positions.expect(P0, 5);
        positions.expect(P1, 50);
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> both = new LinkedHashMap<>();
        both.put(P0, records(P0, 6));
        both.put(P1, records(P1, 50, 51));
        assertThat(positions.read(new ConsumerRecords<>(both, Map.of())))
                .containsExactly(new ReadPositions.Skipped(P0, 5, 6));

        positions.forget(List.of(P1));
        assertThat(positions.read(batch(P1, 90))).as("a partition assigned afresh starts where it is").isEmpty();
        assertThat(positions.read(batch(P0, 7))).isEmpty();
    }

    static ConsumerRecords<byte[], byte[]> batch(TopicPartition partition, long... offsets) {
        return new ConsumerRecords<>(Map.of(partition, records(partition, offsets)), Map.of());
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(TopicPartition partition, long... offsets) {
        return Arrays.stream(offsets)
                .mapToObj(o -> new ConsumerRecord<byte[], byte[]>(partition.topic(), partition.partition(), o, null, null))
                .toList();
    }
}
