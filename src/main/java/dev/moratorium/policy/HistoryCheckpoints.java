package dev.moratorium.policy;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Places along one policy's history where an as-of replay may start instead of at its first event,
 * so that an answer over a long history decides the events after the nearest place only, not the
 * whole history again (a moratorium extended every hour for ten years has 87,600 events).
 *
 * <p>A checkpoint is the policy after every event up to a position, each decided as the service
 * decided it. {@link AsKnownBy} keeps an event when its time is at or before {@code asOf} and decides
 * each kept one with the instant the service applied it, so when every event up to the position has
 * a time at or before {@code asOf}, the replay as known at {@code asOf} holds exactly the checkpoint's
 * policy there. Events after the position are then replayed as usual; late ones (an old time,
 * applied later) are found among them. {@link #startFor} picks the last checkpoint whose latest
 * event time is at or before {@code asOf}: the latest time only grows along the history, so that is
 * a binary search.
 *
 * <p>Positions are whatever increases in the order the events were applied (the history rows'
 * sequence); they are only compared. At most {@code maxPoints} checkpoints are held: past it, every
 * other one is dropped and the spacing doubles, so a history of any length costs a bounded number of
 * policies and an answer about {@code 2 × length ÷ maxPoints} decisions at most, past the first
 * {@code maxPoints × spacing} events. Fed from one thread at a time; {@link #startFor} and
 * {@link #head} may be read from any thread.
 */
public final class HistoryCheckpoints {

    /** The policy after every event up to {@code position}; {@code latestEventTime} the latest of their times. */
    public record Checkpoint(long position, Instant latestEventTime, Optional<Policy> state) {
    }

    /** Before the first event: a replay from here is a replay from the start. */
    public static final Checkpoint START = new Checkpoint(Long.MIN_VALUE, Instant.MIN, Optional.empty());

    private final PolicyDecider decider;
    private final int maxPoints;
    private int spacing;
    private volatile List<Checkpoint> points = List.of();
    private volatile Checkpoint head = START;
    private int sinceLast;
    private long events;

    public HistoryCheckpoints(PolicyDecider decider, int spacing, int maxPoints) {
        if (spacing < 1 || maxPoints < 2) {
            throw new IllegalArgumentException("spacing must be at least 1 and maxPoints at least 2");
        }
        this.decider = decider.replaying();
        this.spacing = spacing;
        this.maxPoints = maxPoints;
    }

    /** The policy's next event in the order the service applied them, at a position past the last one. */
    public void accept(long position, RecordedEvent recorded) {
        Checkpoint last = head;
        if (position <= last.position()) {
            throw new IllegalArgumentException("position " + position + " is not after " + last.position());
        }
        Optional<Policy> state = last.state();
        Decision decision = decider.decide(state, recorded.event(), recorded.receivedAt());
        if (decision instanceof Decision.Applied applied) {
            state = Optional.of(applied.outcome().state());
        }
        Instant time = recorded.event().meta().time();
        head = new Checkpoint(position, time.isAfter(last.latestEventTime()) ? time : last.latestEventTime(), state);
        events++;
        if (++sinceLast >= spacing) {
            sinceLast = 0;
            add(head);
        }
    }

    private void add(Checkpoint checkpoint) {
        List<Checkpoint> next = new ArrayList<>(points.size() + 1);
        next.addAll(points);
        next.add(checkpoint);
        if (next.size() > maxPoints) {
            // every other one, the newest kept when their number is even: twice the spacing from here on
            List<Checkpoint> thinned = new ArrayList<>(next.size() / 2 + 1);
            for (int i = next.size() % 2 == 0 ? 1 : 0; i < next.size(); i += 2) {
                thinned.add(next.get(i));
            }
            next = thinned;
            spacing *= 2;
        }
        points = List.copyOf(next);
    }

    /**
     * Where a replay as known at {@code asOf} may start: the {@link #head} if every event fed was
     * known then, else the last checkpoint all of whose events were, else {@link #START}.
     */
    public Checkpoint startFor(Instant asOf) {
        Checkpoint last = head;
        if (!last.latestEventTime().isAfter(asOf)) {
            return last;
        }
        List<Checkpoint> at = points;
        int low = 0;
        int high = at.size() - 1;
        Checkpoint found = START;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            Checkpoint c = at.get(middle);
            if (c.latestEventTime().isAfter(asOf)) {
                high = middle - 1;
            } else {
                found = c;
                low = middle + 1;
            }
        }
        return found;
    }

    /**
     * A replay as known at {@code asOf} fed with the same events as these checkpoints, in one pass.
     * While every event is known at {@code asOf} the two hold the same policy, so each event is
     * decided once, for the checkpoints; from the first event not yet known, the replay goes on
     * from the head before it, on its own. Reading a history therefore costs one decision an event,
     * as before it was marked, unless {@code asOf} leaves some events out.
     */
    public ReplayWhileMarking replayWhileMarking(Instant asOf) {
        return new ReplayWhileMarking(asOf);
    }

    /** See {@link #replayWhileMarking}. */
    public final class ReplayWhileMarking {

        private final Instant asOf;
        /** Null while the replay is the head of the checkpoints. */
        private AsKnownBy.Replay replay;

        private ReplayWhileMarking(Instant asOf) {
            if (head != START) {
                throw new IllegalStateException("the checkpoints have been fed already");
            }
            this.asOf = asOf;
        }

        /** The policy's next event, at a position past the last one: marked, and replayed as known at {@code asOf}. */
        public void accept(long position, RecordedEvent recorded) {
            if (replay == null && recorded.event().meta().time().isAfter(asOf)) {
                replay = new AsKnownBy.Replay(decider, asOf, head);
            }
            HistoryCheckpoints.this.accept(position, recorded);
            if (replay != null) {
                replay.accept(recorded);
            }
        }

        /** The policy as known at {@code asOf}, its status that at {@code asOf}; empty if not announced by then. */
        public Optional<Policy> result() {
            return (replay != null ? replay : new AsKnownBy.Replay(decider, asOf, head)).result();
        }
    }

    /** The policy after every event fed so far: where feeding goes on from. */
    public Checkpoint head() {
        return head;
    }

    /** How many events were fed. */
    public long events() {
        return events;
    }

    /** How many checkpoints are held (at most {@code maxPoints}). */
    public int size() {
        return points.size();
    }

    /** The policies the checkpoints hold, for estimating their memory. */
    public List<Checkpoint> points() {
        return points;
    }
}
