package dev.moratorium.readmodel;

import dev.moratorium.policy.HistoryCheckpoints;
import dev.moratorium.policy.Policy;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Everything held for as-of answers, under one budget ({@code moratorium.api.as-of-kept-histories})
 * and one lock: the kept histories, the checkpoints of policies remembered by them alone, and what
 * reads in progress have reserved. Room is made by dropping kept histories, oldest kept first but
 * sparing once one that answered since; remembered checkpoints are dropped only to remember others,
 * and hold at most half the budget. {@link PoliciesAsKnown} says why each is held.
 *
 * <p>Answers look up what is kept without the lock; every change of what is held, and of its
 * counts, takes it.
 */
final class AsOfMemory {

    /** A policy's remembered checkpoints, and their bytes as last counted in {@link #checkpointedBytes} (under the lock). */
    static final class Remembered {

        final HistoryCheckpoints checkpoints;
        private long counted;

        private Remembered(HistoryCheckpoints checkpoints) {
            this.checkpoints = checkpoints;
        }
    }

    private record Kept(String policyId, KeptHistory history) {
    }

    private final LongSupplier budget;
    private final int maxKept;
    private final int maxRemembered;
    private final Map<String, KeptHistory> histories = new ConcurrentHashMap<>();
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
    /**
     * What {@link #histories} holds, oldest kept first, so that room is made by dropping the oldest
     * rather than all of them (dropping all made every product read again after one that did not
     * fit), but one that answered since it was kept is spared once and goes to the back (the "clock"
     * or second-chance order: nearly least recently used, without a write under a lock per answer).
     * A history replaced since stays here until it is met (it is then skipped) or the queue is
     * compacted. Changed only under this object's lock.
     */
    private final ArrayDeque<Kept> keptOrder = new ArrayDeque<>();
    /** The estimated heap of {@link #histories}, their events and checkpoints; changed only under the lock. */
    private long keptBytes;
    /** The estimated heap of the checkpoints in {@link #remembered}; changed only under the lock. */
    private long rememberedBytes;
    /** What reads in progress have reserved for their events and checkpoints; changed only under the lock. */
    private long readingBytes;

    /**
     * @param budget        the estimated heap all of it may hold (read at each use: a setting)
     * @param maxKept       kept histories at most, however small
     * @param maxRemembered policies remembered by their checkpoints alone, at most
     */
    AsOfMemory(LongSupplier budget, int maxKept, int maxRemembered) {
        this.budget = budget;
        this.maxKept = maxKept;
        this.maxRemembered = maxRemembered;
    }

    long budget() {
        return budget.getAsLong();
    }

    synchronized PoliciesAsKnown.Held held() {
        return new PoliciesAsKnown.Held(keptBytes, rememberedBytes, readingBytes);
    }

    /** The policy's kept history, whichever state of it it was read for; null when none is kept. */
    KeptHistory kept(String policyId) {
        return histories.get(policyId);
    }

    /** The policy's remembered checkpoints; null when it is not remembered by them. */
    Remembered remembered(String policyId) {
        return remembered.get(policyId);
    }

    boolean remembersAnyOf(List<Policy> policies) {
        for (Policy p : policies) {
            if (remembered.containsKey(p.policyId())) {
                return true;
            }
        }
        return false;
    }

    /** Reserves heap for a read in progress, making room; false (nothing reserved) if it does not fit even so. */
    synchronized boolean reserve(long bytes) {
        readingBytes += bytes;
        makeRoom(false);
        if (keptBytes + rememberedBytes + readingBytes > budget()) {
            readingBytes -= bytes;
            return false;
        }
        return true;
    }

    /** Counts heap a read in progress holds whether or not it fits (its checkpoints, bounded per policy). */
    synchronized void hold(long bytes) {
        readingBytes += bytes;
        if (bytes > 0) {
            makeRoom(false);
        }
    }

    /**
     * Remembers a policy's checkpoints, of which a read in progress held {@code heldByRead} bytes
     * until now, in place of any remembered before; makes room for them by count and by bytes.
     */
    synchronized void remember(String policyId, HistoryCheckpoints checkpoints, long heldByRead) {
        readingBytes -= heldByRead;
        forget(policyId);
        if (remembered.size() >= maxRemembered) {
            // any one makes room: it is marked again by the next answer that needs it
            remembered.keySet().stream().findAny().ifPresent(this::forget);
        }
        Remembered r = new Remembered(checkpoints);
        r.counted = checkpoints.bytesWithHead();
        rememberedBytes += r.counted;
        remembered.put(policyId, r);
        makeRoom(true);
    }

    /** Counts what rows read since grew a policy's remembered checkpoints by. */
    synchronized void recount(String policyId, Remembered r) {
        if (remembered.get(policyId) == r) {
            long now = r.checkpoints.bytesWithHead();
            rememberedBytes += now - r.counted;
            r.counted = now;
            makeRoom(true);
        }
    }

    /** Under the lock. */
    private void forget(String policyId) {
        Remembered gone = remembered.remove(policyId);
        if (gone != null) {
            rememberedBytes -= gone.counted;
        }
    }

    /**
     * Keeps a product's histories as one read made them, in place of any kept for its policies: the
     * read's reservation ({@code reserved}) becomes {@code bytes} kept; then makes room.
     */
    synchronized void keep(List<KeptHistory> read, long reserved, long bytes) {
        for (KeptHistory h : read) {
            KeptHistory old = histories.remove(h.current().policyId());
            if (old != null) {
                keptBytes -= old.bytes();
            }
        }
        readingBytes -= reserved;
        keptBytes += bytes;
        for (KeptHistory h : read) {
            String id = h.current().policyId();
            histories.put(id, h);
            keptOrder.add(new Kept(id, h));
        }
        dropKeptWhile(() -> histories.size() > maxKept);
        makeRoom(false);
        if (keptOrder.size() > 2 * histories.size() + 1_024) {
            // re-read products left replaced histories behind: keep the queue within twice what is kept
            keptOrder.removeIf(k -> histories.get(k.policyId()) != k.history());
        }
    }

    /**
     * Under the lock: drops kept histories, oldest kept first but sparing once one that answered
     * since, until what is held fits the budget or none is left (reads in progress are not
     * dropped). Remembered checkpoints are dropped only for other checkpoints ({@code
     * forCheckpoints}), down to half the budget: a read that turns out too long to keep must not
     * take them with it (they spare a read of the whole history), nor can they crowd out every
     * history.
     */
    private void makeRoom(boolean forCheckpoints) {
        long budget = budget();
        dropKeptWhile(() -> keptBytes + rememberedBytes + readingBytes > budget);
        while (forCheckpoints && !remembered.isEmpty()
                && (rememberedBytes > budget / 2 || keptBytes + rememberedBytes + readingBytes > budget)) {
            remembered.keySet().stream().findAny().ifPresent(this::forget);
        }
    }

    /** Under the lock: drops kept histories, oldest kept first but sparing once one that answered since. */
    private void dropKeptWhile(BooleanSupplier tooMuch) {
        // each kept history is spared at most once here, so the loop ends even while answers mark them again
        int spares = keptOrder.size();
        while (tooMuch.getAsBoolean() && !keptOrder.isEmpty()) {
            Kept oldest = keptOrder.poll();
            KeptHistory h = oldest.history();
            if (histories.get(oldest.policyId()) != h) {
                continue; // replaced since: nothing to drop
            }
            if (h.answered && spares-- > 0) {
                h.answered = false;
                keptOrder.add(oldest);
            } else if (histories.remove(oldest.policyId(), h)) {
                keptBytes -= h.bytes();
            }
        }
    }
}
