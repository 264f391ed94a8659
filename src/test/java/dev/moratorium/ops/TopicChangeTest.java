package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.store.TopicsSeen.Seen;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopicChangeTest {

    private static final Seen MADE = new Seen("id-2", "id-1", 3, 3, null, null);

    @Test
    void nothingRecordedIsAFirstSight() {
        assertThat(TopicChange.between(Optional.empty(), "id-1", 3)).isEqualTo(TopicChange.FIRST_SEEN);
    }

    @Test
    void theSameIdAndPartitionsIsNoChange() {
        assertThat(TopicChange.between(Optional.of(MADE), "id-2", 3)).isEqualTo(TopicChange.NONE);
    }

    @Test
    void aNewIdIsATopicMadeAnewWhateverItsPartitions() {
        assertThat(TopicChange.between(Optional.of(MADE), "id-3", 3)).isEqualTo(TopicChange.MADE_ANEW);
        assertThat(TopicChange.between(Optional.of(MADE), "id-3", 6)).isEqualTo(TopicChange.MADE_ANEW);
        assertThat(TopicChange.between(Optional.of(new Seen("id-2", null, 3, 3, null, null)), "id-3", 1))
                .isEqualTo(TopicChange.MADE_ANEW);
    }

    @Test
    void theSameIdWithOtherPartitionsIsAnInPlaceChange() {
        assertThat(TopicChange.between(Optional.of(MADE), "id-2", 4)).isEqualTo(TopicChange.PARTITIONS_CHANGED);
        // recorded at 4 already: 4 again is no change (the difference from when it was made stays reported)
        assertThat(TopicChange.between(Optional.of(new Seen("id-2", "id-1", 4, 3, null, null)), "id-2", 4))
                .isEqualTo(TopicChange.NONE);
    }

    @Test
    void theIdTheRecordedOneReplacedIsALateLookNotAChangeBack() {
        // another replica looked before the topic was made anew and recorded nothing meanwhile: the
        // old id, an id Kafka never gives again, must not be recorded over the new one (and trigger a
        // republish to a topic that is not there)
        assertThat(TopicChange.between(Optional.of(MADE), "id-1", 3)).isEqualTo(TopicChange.LATE_LOOK);
        assertThat(TopicChange.between(Optional.of(MADE), "id-1", 5)).isEqualTo(TopicChange.LATE_LOOK);
    }
}
