package dev.moratorium.readmodel;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.HistoryEvents;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.AsKnownBy;
import dev.moratorium.policy.HistoryCheckpoints;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.store.HistoryReads;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.store.PolicyStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

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
 *
 * <p>Everything held for as-of answers shares that one budget: kept histories, the checkpoints of
 * policies remembered by them (estimated by {@link HistoryCheckpoints#bytes}, at most
 * {@value #CHECKPOINT_BYTES} a policy) and what reads in progress have collected so far. A read
 * reserves its events and checkpoints as it goes, making room by dropping kept histories in the
 * order above; one that cannot reserve more stops collecting events (too long to keep: its product
 * is remembered as such and not collected again). Remembered checkpoints are dropped only to
 * remember others, and hold at most half the budget. Before, a read collected up to the whole
 * budget beside what was kept, and checkpoints were counted at 8 bytes an exemption: three as-of
 * questions about policies whose exemptions' purposes had been granted again and again ended the
 * packaged service (BENCHMARKS.md, twenty-eighth pass).
 *
 * <p>This class answers; what it holds is {@link AsOfMemory}'s (one budget, one lock), a history
 * kept is a {@link KeptHistory}, and a read from the database is a {@link ProductRead} that feeds a
 * {@link HistoryCollector} (what the read reserves and keeps) and a {@link CheckpointMarking} per
 * policy.
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
     * Policies remembered by their checkpoints alone (their products' histories too long to keep),
     * at most; their bytes count against the budget too, so fewer when they are heavy.
     */
    static final int MAX_CHECKPOINTED = 64;
    /**
     * The estimated heap one policy's checkpoints may hold (past it they are thinned, down to two):
     * a few hundred bytes each for most policies, up to a megabyte for one at the exemption limits.
     * Remembered, they are counted with their head (the policy after the last event read).
     */
    static final long CHECKPOINT_BYTES = 4L * 1024 * 1024;
    /** Products found too long to keep remembered at most (then forgotten together, and found again). */
    static final int MAX_TOO_LONG = 4_096;
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

    /** What is held for as-of answers, under one budget (see the class comment). */
    private AsOfMemory memory;

    @PostConstruct
    void init() {
        memory = new AsOfMemory(() -> config.api().asOfKeptHistories().asLongValue(), MAX_CACHED, MAX_CHECKPOINTED);
        rowsRead = Counter.builder("moratorium.asof.rows.read")
                .description("History rows read from the database for as-of answers").register(registry);
        Gauge.builder("moratorium.asof.held", this, asKnown -> asKnown.held().total())
                .description("Estimated heap held for as-of answers: kept histories, remembered checkpoints, reads in"
                        + " progress (bounded by moratorium.api.as-of-kept-histories)")
                .baseUnit("bytes").register(registry);
    }

    /** What is held for as-of answers, estimated: kept histories, remembered checkpoints, reads in progress. */
    public record Held(long kept, long checkpointed, long reading) {

        public long total() {
            return kept + checkpointed + reading;
        }
    }

    public Held held() {
        return memory.held();
    }

    /** See {@link #lastReadMostReplays}. */
    private volatile int lastReadMostReplays;
    /** Products whose histories were found too long to keep: their reads collect no events. */
    private final Set<String> tooLong = ConcurrentHashMap.newKeySet();
    /**
     * The policies on this vendor's product as known at {@code asOf}, from the kept histories only;
     * empty when one of them is not kept for the index's current state (then {@link #policiesFor}
     * reads the database).
     */
    public Optional<List<Policy>> keptPoliciesFor(String vendor, String product, Instant asOf) {
        List<Policy> current = index.policiesFor(vendor, product);
        List<Policy> known = new ArrayList<>(current.size());
        for (Policy p : current) {
            KeptHistory h = memory.kept(p.policyId());
            if (h == null || h.current() != p) {
                return Optional.empty();
            }
            h.asKnownAt(decider, asOf).ifPresent(known::add);
        }
        return Optional.of(known);
    }

    /** The policies on this vendor's product as known at {@code asOf}, whole, in the index's order. */
    @Transactional
    public List<Policy> policiesFor(String vendor, String product, Instant asOf) {
        return policiesFor(vendor, product, asOf, UnaryOperator.identity());
    }

    /**
     * The policies on this vendor's product as known at {@code asOf}, in the index's order; of those
     * read from the database, only what {@code shown} keeps of each (answers from what is kept are
     * whole). A product's histories are read policy after policy, and a finished policy is held as
     * {@code shown} only: an access decision needs the named organization's exemptions, an answer
     * about one policy the others' states without exemptions. Read whole, a product of 300
     * policies at the exemption limits would hold 300 MB at once.
     *
     * <p>A product whose histories must be read (not kept for the index's states, nor remembered by
     * checkpoints) is read by one request at a time ({@link FirstReads}); a request that waited
     * answers from what that read kept or marked. Reads of other products do not wait for it, nor
     * do answers from what is kept, nor those of a product with checkpoints or found too long to
     * keep.
     */
    @Transactional
    public List<Policy> policiesFor(String vendor, String product, Instant asOf, UnaryOperator<Policy> shown) {
        List<Policy> current = index.policiesFor(vendor, product);
        if (memory.remembersAnyOf(current) || !current.isEmpty() && tooLong.contains(productKey(current.get(0)))) {
            // read before, and nothing of it kept for the next request: its long histories answer from
            // their checkpoints, the rest is read again each time (part of a product, or one too long,
            // is never kept), so waiting for another request saves nothing, and would queue answers
            // behind one another (eight at once about a product of 300 policies at the exemption
            // limits, 2 s a read: the last waited 23 s)
            return read(current, asOf, shown);
        }
        // by the names' keys, as the index finds the product: "Amazon" and "amazon" are read once
        return firstReads.answer(Names.key(vendor) + '\0' + Names.key(product),
                () -> keptPoliciesFor(vendor, product, asOf),
                // the index's states before the rows: a write committed meanwhile makes the tag stale, never the rows
                () -> read(index.policiesFor(vendor, product), asOf, shown));
    }

    private List<Policy> read(List<Policy> current, Instant asOf, UnaryOperator<Policy> shown) {
        Map<String, Optional<Policy>> answers = new HashMap<>();
        List<String> unread = new ArrayList<>();
        for (Policy p : current) {
            AsOfMemory.Remembered known = memory.remembered(p.policyId());
            if (known != null) {
                answers.put(p.policyId(), fromCheckpoints(p.policyId(), known, asOf).map(shown));
            } else {
                unread.add(p.policyId());
            }
        }
        if (!unread.isEmpty()) {
            String product = productKey(current.get(0));
            // part of a product is never kept, nor one found too long before: its events are not collected
            boolean collects = unread.size() == current.size() && !tooLong.contains(product);
            try (HistoryCollector collector = new HistoryCollector(memory, unread, collects)) {
                ProductRead read = new ProductRead(decider, collector, asOf, shown, answers);
                rows.forEachOf(unread, counted(row -> HistoryEvents.recorded(reader, row)
                        .ifPresent(event -> read.accept(row, event))));
                read.end(current, unread);
                lastReadMostReplays = read.mostHeld();
                if (!read.kept() && collects) {
                    foundTooLong(product);
                }
            }
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
        KeptHistory kept = memory.kept(policyId);
        if (kept != null && index.policiesFor(kept.current().vendor(), kept.current().product()).stream()
                .anyMatch(p -> p == kept.current())) {
            return kept.asKnownAt(decider, asOf);
        }
        AsOfMemory.Remembered known = memory.remembered(policyId);
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
            // read as its product's answers read it, once, and kept or marked for the next answer; the
            // product's other policies are not needed whole
            return policiesFor(vendor, product, asOf, p -> p.policyId().equals(policyId) ? p : p.withExemptions(List.of()))
                    .stream().filter(p -> p.policyId().equals(policyId)).findFirst();
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
    private Optional<Policy> fromCheckpoints(String policyId, AsOfMemory.Remembered remembered, Instant asOf) {
        HistoryCheckpoints checkpoints = remembered.checkpoints;
        synchronized (checkpoints) {
            HistoryCheckpoints.Checkpoint head = checkpoints.head();
            if (checkpoints.startFor(asOf) == head) {
                AsKnownBy.Replay replay = new AsKnownBy.Replay(decider, asOf, head);
                long fed = checkpoints.events();
                rows.forEachAfter(policyId, head.position(), counted(row -> HistoryEvents.recorded(reader, row)
                        .ifPresent(event -> {
                            checkpoints.accept(row.id, event);
                            replay.accept(event);
                        })));
                if (checkpoints.events() != fed) {
                    memory.recount(policyId, remembered); // most answers read no row: no count, no lock
                }
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

    private void foundTooLong(String product) {
        if (tooLong.size() >= MAX_TOO_LONG) {
            tooLong.clear(); // a product too long stays too long: one read of each finds it again
        }
        tooLong.add(product);
    }

    private static String productKey(Policy p) {
        // by the names' keys, as the index finds the product
        return Names.key(p.vendor()) + '\0' + Names.key(p.product());
    }

    /**
     * Whether every policy of this product is kept for the index's state of it (for tests: unlike an
     * answer, it does not count as one for the order in which kept histories are dropped).
     */
    public boolean keeps(String vendor, String product) {
        return index.policiesFor(vendor, product).stream().allMatch(p -> {
            KeptHistory h = memory.kept(p.policyId());
            return h != null && h.current() == p;
        });
    }

    /**
     * The most policies the last read from the database replayed at once (for tests): one, unless it
     * collected events to keep, which hold the same texts within the budget.
     */
    public int lastReadMostReplays() {
        return lastReadMostReplays;
    }

    /** Whether this policy is remembered by its checkpoints alone (for tests). */
    public boolean checkpointedOnly(String policyId) {
        return memory.remembered(policyId) != null;
    }

    /** What an event of this much JSON data is estimated to take kept decoded (see {@link #EVENT_BYTES}). */
    static long estimatedBytes(int dataChars) {
        return EVENT_BYTES + (long) BYTES_PER_DATA_CHAR * dataChars;
    }
}
