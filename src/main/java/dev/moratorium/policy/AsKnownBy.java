package dev.moratorium.policy;

import java.time.Instant;
import java.util.Optional;

/**
 * A policy as it was known at an instant {@code asOf} (CONTRACT.md §5, "As known by"): its history
 * replayed through the same {@link PolicyDecider} (without the admission limits on exemptions:
 * {@link PolicyDecider#replaying()}), keeping only the events whose CloudEvent
 * {@code time} (the reader's default for it: when the record was read) is at or before {@code asOf}.
 *
 * <p><b>Which "now" each event is decided with.</b> Each event is decided with the service-clock
 * instant at which the service applied it ({@code receivedAt} in its history), not with
 * {@code asOf} nor with the event's own time. The decider's only use of "now" is to bring the
 * policy up to date before the event (status, reminders) and to reject events on a policy that had
 * ended by then; with the instant the service used, every event the service applied is applied
 * again in the same state, so with every event included the replay is exactly what the service
 * held. Deciding with {@code asOf} would wrongly reject an extension the service applied before the
 * end when {@code asOf} lies after the old end (Amazon's extension of 2021-05-18 asked about
 * 2021-07-01), and deciding with the event time would reject a future-dated event the service
 * accepted. The intervals and exemptions that {@link AccessRules} reads come from the events' data
 * and times, never from "now", so the decision for {@code at} does not depend on the choice.
 *
 * <p>An event left out (announced after {@code asOf}) can make a later one inapplicable — a
 * revocation of an exemption granted after {@code asOf}. Such an event is skipped: as known at
 * {@code asOf}, it changed nothing.
 */
public final class AsKnownBy {

    private AsKnownBy() {
    }

    /** An applied event and the service-clock instant it was applied at. */
    public record RecordedEvent(PolicyEvent event, Instant receivedAt) {
    }

    /**
     * @param history the policy's applied events in the order the service applied them
     * @return the policy as known at {@code asOf}, its status that at {@code asOf}; empty if no
     *         announcement was known by then
     */
    public static Optional<Policy> replay(PolicyDecider decider, Iterable<RecordedEvent> history, Instant asOf) {
        Replay replay = new Replay(decider, asOf);
        history.forEach(replay::accept);
        return replay.result();
    }

    /**
     * The same replay fed one event at a time, so that a history read from the database need not be
     * held whole: a policy's history has no length limit, and only its state is kept here.
     */
    public static final class Replay {

        private final PolicyDecider decider;
        private final Instant asOf;
        private Optional<Policy> state;

        public Replay(PolicyDecider decider, Instant asOf) {
            this(decider, asOf, HistoryCheckpoints.START);
        }

        /**
         * A replay that goes on from a checkpoint every event of which was known at {@code asOf}
         * ({@link HistoryCheckpoints#startFor}): fed the events after it, it ends where a replay from
         * the first event would.
         */
        public Replay(PolicyDecider decider, Instant asOf, HistoryCheckpoints.Checkpoint from) {
            if (from.latestEventTime().isAfter(asOf)) {
                throw new IllegalArgumentException("the checkpoint holds events not yet known at " + asOf);
            }
            this.decider = decider.replaying();
            this.asOf = asOf;
            this.state = from.state();
        }

        /** The policy's next event in the order the service applied them. */
        public void accept(RecordedEvent recorded) {
            PolicyEvent event = recorded.event();
            if (event.meta().time().isAfter(asOf)) {
                return;
            }
            Decision decision = decider.decide(state, event, recorded.receivedAt());
            if (decision instanceof Decision.Applied applied) {
                state = Optional.of(applied.outcome().state());
            }
        }

        /** The policy as known at {@code asOf}, its status that at {@code asOf}; empty if not announced by then. */
        public Optional<Policy> result() {
            return state.map(p -> p.withStatus(p.statusAt(asOf)));
        }
    }
}
