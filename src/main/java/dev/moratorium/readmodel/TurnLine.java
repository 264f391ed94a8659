package dev.moratorium.readmodel;

import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A fixed number of turns shared by callers that ask again at every tick instead of blocking (a
 * live stream's ticks run on worker threads that must not wait). Turns go to askers in the order
 * they first asked, and a holder gives its turn back at its next tick when someone waits: so the
 * turns pass round the line a tick at a time rather than staying with whoever took them first.
 * Without that, sixteen dashboards reading slowly from far back held every turn for as long as
 * they stayed behind, and the other streams resumed after a restart were sent only keep-alives.
 *
 * <p>One that stopped asking (its stream busy writing to a slow client, or gone) loses its place
 * once {@code patience} has passed, so it cannot hold up the line; it joins at the end when it
 * asks again.
 */
final class TurnLine {

    private final int turns;
    private final long patienceNanos;
    private final LongSupplier nanoTime;
    private final Set<Object> holders = new HashSet<>();
    /** Waiting askers, in the order they first asked, each with when it last asked. */
    private final LinkedHashMap<Object, Long> line = new LinkedHashMap<>();

    TurnLine(int turns, Duration patience, LongSupplier nanoTime) {
        this.turns = turns;
        this.patienceNanos = patience.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * Whether {@code who} holds a turn: it kept or took one, or else it waits in the line. A free
     * turn goes to the first asker still asking, so one who asks later waits even while a turn is free.
     */
    synchronized boolean take(Object who) {
        if (holders.contains(who)) {
            return true;
        }
        long now = nanoTime.getAsLong();
        line.put(who, now); // keeps its place if it was already waiting
        int free = turns - holders.size();
        int ahead = 0;
        for (Iterator<Map.Entry<Object, Long>> it = line.entrySet().iterator(); it.hasNext() && ahead < free;) {
            Map.Entry<Object, Long> asker = it.next();
            if (asker.getKey() == who) {
                it.remove();
                holders.add(who);
                return true;
            }
            if (now - asker.getValue() > patienceNanos) {
                it.remove();
            } else {
                ahead++;
            }
        }
        return false;
    }

    /**
     * Gives {@code who}'s turn back when another asker still waits, and puts {@code who} at the end
     * of the line; whether it did.
     */
    synchronized boolean passOnIfWaitedFor(Object who) {
        if (!holders.contains(who) || !othersWaiting()) {
            return false;
        }
        holders.remove(who);
        line.put(who, nanoTime.getAsLong());
        return true;
    }

    /** Ends {@code who}'s turn and its place in the line, whichever it had (caught up, or closed). */
    synchronized void leave(Object who) {
        holders.remove(who);
        line.remove(who);
    }

    synchronized int free() {
        return turns - holders.size();
    }

    synchronized int waiting() {
        return line.size();
    }

    /** Whether anyone waiting still asks (those who stopped are dropped from the head). */
    private boolean othersWaiting() {
        long now = nanoTime.getAsLong();
        for (Iterator<Long> it = line.values().iterator(); it.hasNext();) {
            if (now - it.next() <= patienceNanos) {
                return true;
            }
            it.remove();
        }
        return false;
    }
}
