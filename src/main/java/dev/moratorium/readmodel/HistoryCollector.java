package dev.moratorium.readmodel;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.Policy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one read of a product's histories collects and has reserved in {@link AsOfMemory}: its
 * events, kept while they fit the budget (reserved a quarter of a megabyte at a time rather than a
 * lock per row), and its policies' checkpoints, counted as they grow; what is neither kept nor
 * remembered is released when the read closes, however it ends. Used by the reading thread alone.
 */
final class HistoryCollector implements AutoCloseable {

    private static final long RESERVED_AT_ONCE = 256 * 1024;

    private final AsOfMemory memory;
    /** Null once it does not collect (part of a product, a product too long to keep). */
    private Map<String, List<RecordedEvent>> events;
    private final Map<String, List<Long>> positions = new HashMap<>();
    private final Map<String, Long> perPolicy = new HashMap<>();
    private long eventBytes;
    /** What this read holds of the memory's reading bytes: its events, its checkpoints, and {@link #unspent}. */
    private long reserved;
    /** Reserved for events not read yet. */
    private long unspent;

    HistoryCollector(AsOfMemory memory, List<String> ids, boolean collects) {
        this.memory = memory;
        if (collects) {
            events = new HashMap<>();
            ids.forEach(id -> {
                events.put(id, new ArrayList<>());
                positions.put(id, new ArrayList<>());
            });
        }
    }

    void add(String policyId, long position, RecordedEvent event, int dataChars) {
        if (events == null) {
            return;
        }
        long cost = PoliciesAsKnown.estimatedBytes(dataChars);
        if (cost > unspent) {
            long more = Math.max(cost - unspent, RESERVED_AT_ONCE);
            if (!memory.reserve(more)) {
                more = cost - unspent; // near the budget: only what this event needs
                if (!memory.reserve(more)) {
                    tooLongToKeep();
                    return;
                }
            }
            reserved += more;
            unspent += more;
        }
        unspent -= cost;
        eventBytes += cost;
        perPolicy.merge(policyId, cost, Long::sum);
        events.get(policyId).add(event);
        positions.get(policyId).add(position);
    }

    /** Stops collecting: what the events held is released, and this product is streamed every time. */
    private void tooLongToKeep() {
        events = null;
        positions.clear();
        perPolicy.clear();
        memory.hold(-(eventBytes + unspent));
        reserved -= eventBytes + unspent;
        eventBytes = 0;
        unspent = 0;
    }

    /** After each event a policy's checkpoints were fed: what they grew (or, thinned, shrank) by is held. */
    void marked(CheckpointMarking m) {
        long now = m.checkpoints.bytes();
        if (now != m.held) {
            memory.hold(now - m.held);
            reserved += now - m.held;
            m.held = now;
        }
    }

    boolean collecting() {
        return events != null;
    }

    /** A policy's checkpoints, dropped: no longer held by this read. */
    void release(CheckpointMarking m) {
        if (m.held != 0) {
            memory.hold(-m.held);
            reserved -= m.held;
            m.held = 0;
        }
    }

    /** A policy's checkpoints, remembered: counted as such from now on, no longer as this read's. */
    void remember(String policyId, CheckpointMarking m) {
        long held = m.held;
        reserved -= held;
        m.held = 0;
        memory.remember(policyId, m.checkpoints, held);
    }

    /**
     * Keeps what was read, with its checkpoints, tagged with the index's states it was read for,
     * making room if needed; false if it was too long to keep.
     */
    boolean keep(List<Policy> current, Map<String, CheckpointMarking> marking) {
        if (events == null) {
            return false;
        }
        long bytes = reserved - unspent; // the events and checkpoints of every policy read
        if (bytes > memory.budget()) {
            return false;
        }
        List<KeptHistory> read = new ArrayList<>(current.size());
        for (Policy p : current) {
            String id = p.policyId();
            CheckpointMarking m = marking.get(id);
            m.held = 0;
            read.add(new KeptHistory(p, List.copyOf(events.get(id)),
                    positions.get(id).stream().mapToLong(Long::longValue).toArray(), m.checkpoints,
                    perPolicy.getOrDefault(id, 0L) + m.checkpoints.bytes()));
        }
        memory.keep(read, reserved, bytes);
        reserved = 0;
        unspent = 0;
        return true;
    }

    @Override
    public void close() {
        if (reserved != 0) {
            memory.hold(-reserved);
            reserved = 0;
        }
    }
}
