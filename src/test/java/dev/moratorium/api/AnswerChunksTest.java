package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerChunksTest {

    @Test
    void runsHoldAtMostTheBytesAndRowsAndARowLargerThanThatAlone() {
        List<Long> sizes = List.of(400L, 400L, 300L, 5_000L, 100L, 100L, 100L, 100L, 0L);
        List<List<Long>> runs = AnswerChunks.of(sizes, Long::longValue, 1_000, 3);
        assertThat(runs).containsExactly(List.of(400L, 400L), List.of(300L), List.of(5_000L), List.of(100L, 100L, 100L),
                List.of(100L, 0L));
        assertThat(runs.stream().flatMap(List::stream).toList()).as("every row once, in order").isEqualTo(sizes);
    }

    @Test
    void exactlyTheLimitStillFitsOneByteMoreStartsTheNextRun() {
        assertThat(AnswerChunks.of(List.of(500L, 500L, 1L), Long::longValue, 1_000, 100))
                .containsExactly(List.of(500L, 500L), List.of(1L));
        assertThat(AnswerChunks.of(List.of(1_001L), Long::longValue, 1_000, 100)).containsExactly(List.of(1_001L));
    }

    @Test
    void noRowsNoRuns() {
        assertThat(AnswerChunks.of(List.<Long>of(), Long::longValue, 1_000, 10)).isEmpty();
    }
}
