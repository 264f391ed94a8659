package dev.moratorium.ops;

import dev.moratorium.store.TopicsSeen.Seen;
import java.util.Optional;

/**
 * What a look at a topic tells against what was last recorded of it. Kafka gives every topic an id
 * when it is made; a topic deleted and made again under the same name has a new one, and none of the
 * records of the old.
 */
public enum TopicChange {
    /** Nothing recorded yet: what is seen becomes the reference. */
    FIRST_SEEN,
    /** The same id and partitions. */
    NONE,
    /** A new id: the topic was deleted and made anew, empty. */
    MADE_ANEW,
    /** The same id with another partition count: partitions were added in place. */
    PARTITIONS_CHANGED,
    /**
     * The id the recorded one replaced: this replica looked before the topic was made anew, and another
     * recorded the new one meanwhile. An id is never given twice, so this is a late look, not a change.
     */
    LATE_LOOK;

    public static TopicChange between(Optional<Seen> recorded, String topicId, int partitions) {
        if (recorded.isEmpty()) {
            return FIRST_SEEN;
        }
        Seen known = recorded.get();
        if (topicId.equals(known.previousTopicId())) {
            return LATE_LOOK;
        }
        if (!topicId.equals(known.topicId())) {
            return MADE_ANEW;
        }
        return partitions == known.partitions() ? NONE : PARTITIONS_CHANGED;
    }
}
