package dev.moratorium.policy;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
 * {@code maxPoints × spacing} events.
 *
 * <p>A bounded number of policies is not yet bounded memory: a policy keeps up to 1,000 exemptions
 * and 512 Ki characters of their text ({@link ExemptionLimits}), and a producer that grants the
 * same organizations again with new purposes gives every checkpoint a megabyte of text of its own
 * (three as-of questions about three such policies, 128,000 events each, ended a service with the
 * pod's 160 MB heap). So the checkpoints' heap is estimated too ({@link #bytes}: each one's objects
 * not shared with the one before it), and past {@code maxBytes} they are thinned the same way, down
 * to two: a heavy history answers from fewer places, further apart, rather than fill the heap.
 * Fed from one thread at a time; {@link #startFor}, {@link #head} and {@link #bytes} may be read
 * from any thread.
 */
public final class HistoryCheckpoints {

    /** The policy after every event up to {@code position}; {@code latestEventTime} the latest of their times. */
    public record Checkpoint(long position, Instant latestEventTime, Optional<Policy> state) {
    }

    /** Before the first event: a replay from here is a replay from the start. */
    public static final Checkpoint START = new Checkpoint(Long.MIN_VALUE, Instant.MIN, Optional.empty());

    /**
     * Estimated heap of a checkpoint beside its exemptions: the record, its {@code Optional}, the
     * policy and its list (their strings other than exemptions' are the announcement's, shared).
     */
    static final int POINT_BYTES = 256;
    /** An exemption's record, and a reference to it in its policy's list. */
    static final int EXEMPTION_BYTES = 40;
    /** A string's object and its array's header; its characters are counted at 2 bytes each (not all fit Latin-1). */
    static final int STRING_BYTES = 40;

    private final PolicyDecider decider;
    private final int maxPoints;
    private final long maxBytes;
    private int spacing;
    private volatile List<Checkpoint> points = List.of();
    private volatile long bytes;
    private volatile Checkpoint head = START;
    private int sinceLast;
    private long events;

    public HistoryCheckpoints(PolicyDecider decider, int spacing, int maxPoints) {
        this(decider, spacing, maxPoints, Long.MAX_VALUE);
    }

    /** Checkpoints every {@code spacing} events, at most {@code maxPoints} of them, and past two, at most {@code maxBytes}. */
    public HistoryCheckpoints(PolicyDecider decider, int spacing, int maxPoints, long maxBytes) {
        if (spacing < 1 || maxPoints < 2 || maxBytes < 0) {
            throw new IllegalArgumentException("spacing must be at least 1, maxPoints at least 2, maxBytes not negative");
        }
        this.decider = decider.replaying();
        this.spacing = spacing;
        this.maxPoints = maxPoints;
        this.maxBytes = maxBytes;
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
        long total = bytes + ownBytes(next.size() > 1 ? next.get(next.size() - 2) : START, checkpoint);
        while (next.size() > maxPoints || (total > maxBytes && next.size() > 2)) {
            // every other one, the newest kept when their number is even: twice the spacing from here on
            List<Checkpoint> thinned = new ArrayList<>(next.size() / 2 + 1);
            for (int i = next.size() % 2 == 0 ? 1 : 0; i < next.size(); i += 2) {
                thinned.add(next.get(i));
            }
            next = thinned;
            spacing *= 2;
            total = bytesOf(next); // what the dropped ones shared with their neighbours is counted again
        }
        points = List.copyOf(next);
        bytes = total;
    }

    private static long bytesOf(List<Checkpoint> points) {
        long total = 0;
        Checkpoint before = START;
        for (Checkpoint c : points) {
            total += ownBytes(before, c);
            before = c;
        }
        return total;
    }

    /**
     * The estimated heap of {@code c} beside what {@code before} holds: its exemptions' records and
     * texts are counted unless the same objects are in {@code before} (a replay passes on the ones
     * an event leaves alone; a grant's purpose is a new string, a revocation a new record of the
     * same strings).
     */
    static long ownBytes(Checkpoint before, Checkpoint c) {
        if (c.state().isEmpty()) {
            return POINT_BYTES;
        }
        List<Exemption> exemptions = c.state().get().exemptions();
        Set<Object> shared = Collections.newSetFromMap(new IdentityHashMap<>());
        before.state().ifPresent(p -> p.exemptions().forEach(e -> {
            shared.add(e);
            shared.add(e.organization());
            if (e.purpose() != null) {
                shared.add(e.purpose());
            }
        }));
        long own = POINT_BYTES;
        for (Exemption e : exemptions) {
            own += 8;
            if (shared.contains(e)) {
                continue;
            }
            own += EXEMPTION_BYTES + textBytes(e.organization(), shared) + textBytes(e.purpose(), shared);
        }
        return own;
    }

    private static long textBytes(String text, Set<Object> shared) {
        return text == null || shared.contains(text) ? 0 : STRING_BYTES + 2L * text.length();
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

    /** The policies the checkpoints hold. */
    public List<Checkpoint> points() {
        return points;
    }

    /**
     * The estimated heap the checkpoints hold of their own, at most {@code maxBytes} unless two of them
     * alone take more. The head is not counted: it is the state a replay works on anyway.
     */
    public long bytes() {
        return bytes;
    }

    /**
     * {@link #bytes} and the head's exemptions, each counted whole: what keeping these checkpoints
     * costs once their history's replay is over (a policy at the exemption limits holds a megabyte
     * in its head alone). Goes through the head's exemptions: for when the checkpoints are handed
     * on, not for every event.
     */
    public long bytesWithHead() {
        return bytes + ownBytes(START, head);
    }
}
