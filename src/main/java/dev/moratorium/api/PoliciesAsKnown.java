package dev.moratorium.api;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.HistoryEvents;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.AsKnownBy;
import dev.moratorium.policy.HistoryCheckpoints;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.store.HistoryReads;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.store.PolicyStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

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
 * time to a later end), and read whole, a long one could fill the heap (160 MB in k8s/base).
 *
 * <p>Nor is a long history replayed whole for every answer: each read also marks
 * {@link HistoryCheckpoints} along it, every {@value #CHECKPOINT_SPACING} events (the spacing
 * doubles past {@value #MAX_CHECKPOINTS} of them), and an answer replays from the last one whose
 * events were all known at {@code asOf}. For a kept history that is the events after it in memory;
 * for a policy of a product too long to keep, its checkpoints alone are kept (at most
 * {@value #MAX_CHECKPOINTED} such policies), and an answer reads the rows after the checkpoint with
 * an event time at or before {@code asOf}, or, when every row read before was known by then, the
 * rows written since, which extend the checkpoints. LargeStateTest: 80,000 extensions of one
 * policy took 2.1 s an answer when each replayed them all, 40–95 ms from the checkpoints.
 *
 * <p>The rows read are kept, decoded, per policy, tagged with the index's state of the policy they
 * were read for: every applied event writes the policy, so the index's state is replaced and the
 * next request reads the rows again. While the tag still matches, an as-of answer is a replay in
 * memory without a database query or a worker thread (bench/decisions: the database round trip
 * made as-of requests a tenth as fast as plain ones). At most {@value #MAX_CACHED} policies and
 * {@code moratorium.api.as-of-kept-histories} of decoded events (estimated) are kept; a read that
 * does not fit beside them drops the histories kept longest until it does (but spares, once, one
 * that answered since it was kept), and a product whose histories alone would take more keeps its
 * checkpoints only (above).
 */
@ApplicationScoped
public class PoliciesAsKnown {

    /** Bounds the memory kept for histories; past it the kept ones are dropped and read again on demand. */
    static final int MAX_CACHED = 100_000;
    /** Events between two checkpoints of a history, at first. */
    static final int CHECKPOINT_SPACING = 1_000;
    /** Checkpoints per history at most: each the policy at that point, a few hundred bytes to a few kilobytes. */
    static final int MAX_CHECKPOINTS = 64;
    /**
     * Policies remembered by their checkpoints alone (their products' histories too long to keep):
     * at most this many times {@value #MAX_CHECKPOINTS} + 1 policies, under 20 MB even if each held
     * the most exemptions a policy may have (1,000, a 4 kB list each).
     */
    static final int MAX_CHECKPOINTED = 64;
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
    PolicyStore policies;

    @Inject
    MoratoriumConfig config;

    @Inject
    MeterRegistry registry;

    /** History rows read from the database for as-of answers: what they cost the database, on the dashboard. */
    private Counter rowsRead;

    /** Products whose histories are being read, one read each (see {@link #policiesFor}). */
    private final FirstReads<String> firstReads = new FirstReads<>();

    @PostConstruct
    void init() {
        rowsRead = Counter.builder("moratorium.asof.rows.read")
                .description("History rows read from the database for as-of answers").register(registry);
    }

    /**
     * A policy's decoded history, read while the index held {@code current} for it: its events, their
     * rows' ids, the checkpoints along them, and its estimated heap.
     */
    private static final class History {

        final Policy current;
        final List<RecordedEvent> events;
        final long[] positions;
        final HistoryCheckpoints checkpoints;
        final long bytes;
        /**
         * Whether an answer came from it since it was kept or last spared: making room spares such a
         * history once (it goes to the back of the queue) and drops the next one, so that a product
         * asked about all day is not dropped for having been read first. Set without a lock by
         * answers, cleared under the lock that makes room.
         */
        volatile boolean answered;

        History(Policy current, List<RecordedEvent> events, long[] positions, HistoryCheckpoints checkpoints,
                long bytes) {
            this.current = current;
            this.events = events;
            this.positions = positions;
            this.checkpoints = checkpoints;
            this.bytes = bytes;
        }

        Policy current() {
            return current;
        }

        long bytes() {
            return bytes;
        }

        Optional<Policy> asKnownAt(PolicyDecider decider, Instant asOf) {
            if (!answered) {
                answered = true; // read first: a write to a shared field on every answer would bounce it between cores
            }
            HistoryCheckpoints.Checkpoint start = checkpoints.startFor(asOf);
            AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf, start);
            int from = Arrays.binarySearch(positions, start.position());
            for (int i = from >= 0 ? from + 1 : -from - 1; i < events.size(); i++) {
                replay.accept(events.get(i));
            }
            return replay.result();
        }
    }

    private final Map<String, History> histories = new ConcurrentHashMap<>();
    /** Policies of products too long to keep, by their checkpoints (see the class comment). */
    private final Map<String, HistoryCheckpoints> checkpointed = new ConcurrentHashMap<>();
    /** The estimated heap of the events in {@link #histories}; changed only under this object's lock. */
    private long keptBytes;
    /**
     * What {@link #histories} holds, oldest kept first, so that room is made by dropping the oldest
     * rather than all of them (dropping all made every product read again after one that did not
     * fit), but one that answered since it was kept is spared once and goes to the back (the "clock"
     * or second-chance order: nearly least recently used, without a write under a lock per answer).
     * A history replaced since stays here until it is met (it is then skipped) or the queue is
     * compacted. Changed only under this object's lock.
     */
    private final ArrayDeque<Kept> keptOrder = new ArrayDeque<>();

    private record Kept(String policyId, History history) {
    }

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
            h.asKnownAt(decider, asOf).ifPresent(known::add);
        }
        return Optional.of(known);
    }

    /**
     * The policies on this vendor's product as known at {@code asOf}, in the index's order.
     *
     * <p>A product whose histories must be read (not kept for the index's states, nor remembered by
     * checkpoints) is read by one request at a time ({@link FirstReads}); a request that waited
     * answers from what that read kept or marked. Reads of other products do not wait for it, nor
     * do answers from what is kept, nor those of a product with checkpoints.
     */
    @Transactional
    public List<Policy> policiesFor(String vendor, String product, Instant asOf) {
        List<Policy> current = index.policiesFor(vendor, product);
        if (current.stream().anyMatch(p -> checkpointed.containsKey(p.policyId()))) {
            // read before: its long histories answer from their checkpoints, its short ones are read
            // again each time (part of a product is never kept), so waiting for another request saves
            // nothing, and would queue answers of 40-95 ms each behind one another
            return read(current, asOf);
        }
        // by the names' keys, as the index finds the product: "Amazon" and "amazon" are read once
        return firstReads.answer(Names.key(vendor) + '\0' + Names.key(product),
                () -> keptPoliciesFor(vendor, product, asOf),
                // the index's states before the rows: a write committed meanwhile makes the tag stale, never the rows
                () -> read(index.policiesFor(vendor, product), asOf));
    }

    private List<Policy> read(List<Policy> current, Instant asOf) {
        Map<String, Optional<Policy>> answers = new HashMap<>();
        List<String> unread = new ArrayList<>();
        for (Policy p : current) {
            HistoryCheckpoints known = checkpointed.get(p.policyId());
            if (known != null) {
                answers.put(p.policyId(), fromCheckpoints(p.policyId(), known, asOf));
            } else {
                unread.add(p.policyId());
            }
        }
        if (!unread.isEmpty()) {
            Map<String, HistoryCheckpoints> marking = new HashMap<>();
            Map<String, HistoryCheckpoints.ReplayWhileMarking> replays = new HashMap<>();
            unread.forEach(id -> {
                HistoryCheckpoints checkpoints = new HistoryCheckpoints(decider, CHECKPOINT_SPACING, MAX_CHECKPOINTS);
                marking.put(id, checkpoints);
                replays.put(id, checkpoints.replayWhileMarking(asOf));
            });
            Keeping keeping = new Keeping(unread);
            rows.forEachOf(unread, counted(row -> HistoryEvents.recorded(reader, row).ifPresent(event -> {
                replays.get(row.policyId).accept(row.id, event);
                keeping.add(row.policyId, row.id, event, row.data.length());
            })));
            if (!keeping.keep(current, marking)) {
                // too long to keep: its long histories are remembered by their checkpoints
                marking.forEach((id, checkpoints) -> {
                    if (checkpoints.events() >= CHECKPOINT_SPACING) {
                        rememberCheckpoints(id, checkpoints);
                    }
                });
            }
            replays.forEach((id, replay) -> answers.put(id, replay.result()));
        }
        List<Policy> known = new ArrayList<>(current.size());
        for (Policy p : current) {
            answers.get(p.policyId()).ifPresent(known::add);
        }
        return known;
    }

    /**
     * One policy as known at {@code asOf}; empty when none of its events was known by then. From its
     * kept history while the index still holds the state it was read for, or from its checkpoints;
     * otherwise its product's histories are read as {@link #policiesFor} reads them, and kept or
     * marked, so that the next answer about the policy (or the product) does not read them again: a
     * policy of 80,000 events read whole for every answer took seconds each.
     */
    @Transactional
    public Optional<Policy> policy(String policyId, Instant asOf) {
        History kept = histories.get(policyId);
        if (kept != null && index.policiesFor(kept.current().vendor(), kept.current().product()).stream()
                .anyMatch(p -> p == kept.current())) {
            return kept.asKnownAt(decider, asOf);
        }
        HistoryCheckpoints known = checkpointed.get(policyId);
        if (known != null) {
            return fromCheckpoints(policyId, known, asOf);
        }
        Optional<PolicyStore.Product> stored = policies.productOf(policyId);
        if (stored.isEmpty()) {
            return Optional.empty(); // never announced
        }
        String vendor = stored.get().vendor();
        String product = stored.get().product();
        if (index.policiesFor(vendor, product).stream().anyMatch(p -> p.policyId().equals(policyId))) {
            // read as its product's answers read it, once, and kept or marked for the next answer
            return policiesFor(vendor, product, asOf).stream().filter(p -> p.policyId().equals(policyId)).findFirst();
        }
        // not in the index yet (it follows writes within its refresh): this policy's rows alone
        AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf);
        rows.forEachAfterUpTo(policyId, Long.MIN_VALUE, asOf,
                counted(row -> HistoryEvents.recorded(reader, row).ifPresent(replay::accept)));
        return replay.result();
    }

    /**
     * A policy too long to keep, replayed from its checkpoints. When every row read before was known
     * at {@code asOf}, only the rows written since are read, whole, and they extend the checkpoints
     * (one reader at a time per policy); otherwise the rows after the checkpoint that were known then.
     */
    private Optional<Policy> fromCheckpoints(String policyId, HistoryCheckpoints checkpoints, Instant asOf) {
        synchronized (checkpoints) {
            HistoryCheckpoints.Checkpoint head = checkpoints.head();
            if (checkpoints.startFor(asOf) == head) {
                AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf, head);
                rows.forEachAfter(policyId, head.position(), counted(row -> HistoryEvents.recorded(reader, row)
                        .ifPresent(event -> {
                            checkpoints.accept(row.id, event);
                            replay.accept(event);
                        })));
                return replay.result();
            }
        }
        HistoryCheckpoints.Checkpoint start = checkpoints.startFor(asOf);
        AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf, start);
        rows.forEachAfterUpTo(policyId, start.position(), asOf,
                counted(row -> HistoryEvents.recorded(reader, row).ifPresent(replay::accept)));
        return replay.result();
    }

    private Consumer<PolicyEventEntity> counted(Consumer<PolicyEventEntity> use) {
        return row -> {
            rowsRead.increment();
            use.accept(row);
        };
    }

    private void rememberCheckpoints(String policyId, HistoryCheckpoints checkpoints) {
        if (checkpointed.size() >= MAX_CHECKPOINTED && !checkpointed.containsKey(policyId)) {
            // any one makes room: it is marked again by the next answer that needs it
            checkpointed.keySet().stream().findAny().ifPresent(checkpointed::remove);
        }
        checkpointed.put(policyId, checkpoints);
    }

    /**
     * Whether every policy of this product is kept for the index's state of it (for tests: unlike an
     * answer, it does not count as one for the order in which kept histories are dropped).
     */
    public boolean keeps(String vendor, String product) {
        return index.policiesFor(vendor, product).stream().allMatch(p -> {
            History h = histories.get(p.policyId());
            return h != null && h.current() == p;
        });
    }

    /** Whether this policy is remembered by its checkpoints alone (for tests). */
    public boolean checkpointedOnly(String policyId) {
        return checkpointed.containsKey(policyId);
    }

    private long maxKeptBytes() {
        return config.api().asOfKeptHistories().asLongValue();
    }

    /** The events of one read, collected for keeping until they pass the budget. */
    private final class Keeping {

        private Map<String, List<RecordedEvent>> events = new HashMap<>();
        private final Map<String, List<Long>> positions = new HashMap<>();
        private final Map<String, Long> perPolicy = new HashMap<>();
        private final long budget = maxKeptBytes();
        private long bytes;

        Keeping(List<String> ids) {
            ids.forEach(id -> {
                events.put(id, new ArrayList<>());
                positions.put(id, new ArrayList<>());
            });
        }

        void add(String policyId, long position, RecordedEvent event, int dataChars) {
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
            positions.get(policyId).add(position);
        }

        /**
         * Keeps what was read, with its checkpoints, tagged with the index's states it was read for,
         * making room if needed; false if it was too long to keep.
         */
        boolean keep(List<Policy> current, Map<String, HistoryCheckpoints> checkpoints) {
            if (events == null) {
                return false;
            }
            if (current.size() != events.size()) {
                return true; // part of a product (the rest remembered by checkpoints): never kept, not too long
            }
            for (Map.Entry<String, HistoryCheckpoints> marked : checkpoints.entrySet()) {
                long cost = checkpointBytes(marked.getValue());
                bytes += cost;
                perPolicy.merge(marked.getKey(), cost, Long::sum);
            }
            if (bytes > budget) {
                return false;
            }
            synchronized (PoliciesAsKnown.this) {
                for (Policy p : current) {
                    History old = histories.remove(p.policyId());
                    if (old != null) {
                        keptBytes -= old.bytes();
                    }
                }
                // each kept history is spared at most once here, so the loop ends even while answers mark them again
                int spares = keptOrder.size();
                while (!keptOrder.isEmpty()
                        && (histories.size() + current.size() > MAX_CACHED || keptBytes + bytes > budget)) {
                    Kept oldest = keptOrder.poll();
                    History h = oldest.history();
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
                for (Policy p : current) {
                    String id = p.policyId();
                    History history = new History(p, List.copyOf(events.get(id)),
                            positions.get(id).stream().mapToLong(Long::longValue).toArray(), checkpoints.get(id),
                            perPolicy.getOrDefault(id, 0L));
                    histories.put(id, history);
                    keptOrder.add(new Kept(id, history));
                }
                keptBytes += bytes;
                if (keptOrder.size() > 2 * histories.size() + 1_024) {
                    // re-read products left replaced histories behind: keep the queue within twice what is kept
                    keptOrder.removeIf(k -> histories.get(k.policyId()) != k.history());
                }
            }
            return true;
        }
    }

    /**
     * What a history's checkpoints are estimated to take: each a policy whose own objects are those of
     * the events before it, but whose exemption list is its own.
     */
    static long checkpointBytes(HistoryCheckpoints checkpoints) {
        long bytes = 0;
        for (HistoryCheckpoints.Checkpoint c : checkpoints.points()) {
            bytes += EVENT_BYTES + 8L * c.state().map(p -> p.exemptions().size()).orElse(0);
        }
        return bytes;
    }

    /** What an event of this much JSON data is estimated to take kept decoded (see {@link #EVENT_BYTES}). */
    static long estimatedBytes(int dataChars) {
        return EVENT_BYTES + (long) BYTES_PER_DATA_CHAR * dataChars;
    }
}
