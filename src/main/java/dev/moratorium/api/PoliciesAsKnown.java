package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.HistoryEvents;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.AsKnownBy;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.store.HistoryReads;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Policies as they were known at an instant ({@code asOf}): each one's history rows replayed
 * through the domain ({@link AsKnownBy}), which keeps only the events with an event time at or
 * before it. The policies of a product come from the in-memory index (a policy's vendor and
 * product never change, so the current index names every policy that product ever had); their
 * rows are read through {@code policy_event_policy_idx (policy_id, id)}, so a request reads only
 * its product's history, never the whole table.
 *
 * <p>The rows are streamed ({@link HistoryReads}) into one running replay per policy, never held
 * as a list: a policy's history has no length limit (a moratorium extended again and again, each
 * time to a later end), and read whole, a long one could fill the heap (160 MB in k8s/base). The
 * time such an answer takes still grows with the history; its memory does not.
 *
 * <p>The rows read are kept, decoded, per policy, tagged with the index's state of the policy they
 * were read for: every applied event writes the policy, so the index's state is replaced and the
 * next request reads the rows again. While the tag still matches, an as-of answer is a replay in
 * memory without a database query or a worker thread (bench/decisions: the database round trip
 * made as-of requests a tenth as fast as plain ones). At most {@value #MAX_CACHED} policies and
 * {@code moratorium.api.as-of-kept-histories} of decoded events (estimated) are kept; a product
 * whose histories alone would take more is streamed from the database for every as-of answer.
 */
@ApplicationScoped
public class PoliciesAsKnown {

    /** Bounds the memory kept for histories; past it the kept ones are dropped and read again on demand. */
    static final int MAX_CACHED = 100_000;
    /**
     * Kept events are counted in heap estimated per event as {@link #EVENT_BYTES} plus
     * {@link #BYTES_PER_DATA_CHAR} per character of its JSON data (an event's data can be 64 KiB,
     * so a count of events would not bound it), up to {@code moratorium.api.as-of-kept-histories}
     * (64M). LargeStateTest checks that the estimate exceeds what kept events really take. The
     * default holds bench/decisions' 25,000 announcements of 20,000 products (about 24 MB by the
     * estimate) beside the access index in the 160 MB heap of k8s/base; a first budget of 32 MiB
     * with twice the bytes per character did not, and since a full budget drops every kept
     * history, the as-of rounds read the database again and again (0.34 × /access instead of 0.87).
     */
    public static final int EVENT_BYTES = 256;
    public static final int BYTES_PER_DATA_CHAR = 2;

    @Inject
    PolicyIndex index;

    @Inject
    PolicyDecider decider;

    @Inject
    PolicyChangeReader reader;

    @Inject
    HistoryReads rows;

    @Inject
    MoratoriumConfig config;

    /** A policy's decoded history, read while the index held {@code current} for it, and its estimated heap. */
    private record History(Policy current, List<RecordedEvent> events, long bytes) {
    }

    private final Map<String, History> histories = new ConcurrentHashMap<>();
    /** The estimated heap of the events in {@link #histories}; changed only under this object's lock. */
    private long keptBytes;

    /**
     * The policies on this vendor's product as known at {@code asOf}, from the kept histories only;
     * empty when one of them is not kept for the index's current state (then {@link #policiesFor}
     * reads the database).
     */
    public Optional<List<Policy>> keptPoliciesFor(String vendor, String product, Instant asOf) {
        List<Policy> current = index.policiesFor(vendor, product);
        List<Policy> known = new ArrayList<>(current.size());
        for (Policy p : current) {
            History h = histories.get(p.policyId());
            if (h == null || h.current() != p) {
                return Optional.empty();
            }
            AsKnownBy.replay(decider, h.events(), asOf).ifPresent(known::add);
        }
        return Optional.of(known);
    }

    /** The policies on this vendor's product as known at {@code asOf}, in the index's order. */
    @Transactional
    public List<Policy> policiesFor(String vendor, String product, Instant asOf) {
        // the index's states before the rows: a write committed meanwhile makes the tag stale, never the rows
        List<Policy> current = index.policiesFor(vendor, product);
        List<String> ids = current.stream().map(Policy::policyId).toList();
        Map<String, AsKnownBy.Replay> replays = new HashMap<>();
        ids.forEach(id -> replays.put(id, new AsKnownBy.Replay(decider, asOf)));
        Keeping keeping = new Keeping(ids);
        rows.forEachOf(ids, row -> HistoryEvents.recorded(reader, row).ifPresent(event -> {
            replays.get(row.policyId).accept(event);
            keeping.add(row.policyId, event, row.data.length());
        }));
        keeping.keep(current);
        List<Policy> known = new ArrayList<>(ids.size());
        for (Policy p : current) {
            replays.get(p.policyId()).result().ifPresent(known::add);
        }
        return known;
    }

    /** One policy as known at {@code asOf}; empty when none of its events was known by then. */
    @Transactional
    public Optional<Policy> policy(String policyId, Instant asOf) {
        AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf);
        rows.forEachUpTo(policyId, asOf, row -> HistoryEvents.recorded(reader, row).ifPresent(replay::accept));
        return replay.result();
    }

    private long maxKeptBytes() {
        return config.api().asOfKeptHistories().asLongValue();
    }

    /** The events of one read, collected for keeping until they pass the budget. */
    private final class Keeping {

        private Map<String, List<RecordedEvent>> events = new HashMap<>();
        private final Map<String, Long> perPolicy = new HashMap<>();
        private final long budget = maxKeptBytes();
        private long bytes;

        Keeping(List<String> ids) {
            ids.forEach(id -> events.put(id, new ArrayList<>()));
        }

        void add(String policyId, RecordedEvent event, int dataChars) {
            if (events == null) {
                return;
            }
            long cost = estimatedBytes(dataChars);
            bytes += cost;
            perPolicy.merge(policyId, cost, Long::sum);
            if (bytes > budget) {
                events = null; // too long to keep: this product is streamed every time
                return;
            }
            events.get(policyId).add(event);
        }

        /** Keeps what was read, tagged with the index's states it was read for, making room if needed. */
        void keep(List<Policy> current) {
            if (events == null) {
                return;
            }
            synchronized (PoliciesAsKnown.this) {
                for (Policy p : current) {
                    History old = histories.remove(p.policyId());
                    if (old != null) {
                        keptBytes -= old.bytes();
                    }
                }
                if (histories.size() + current.size() > MAX_CACHED || keptBytes + bytes > budget) {
                    histories.clear();
                    keptBytes = 0;
                }
                for (Policy p : current) {
                    histories.put(p.policyId(), new History(p, List.copyOf(events.get(p.policyId())), perPolicy.getOrDefault(p.policyId(), 0L)));
                }
                keptBytes += bytes;
            }
        }
    }

    /** What an event of this much JSON data is estimated to take kept decoded (see {@link #EVENT_BYTES}). */
    static long estimatedBytes(int dataChars) {
        return EVENT_BYTES + (long) BYTES_PER_DATA_CHAR * dataChars;
    }
}
