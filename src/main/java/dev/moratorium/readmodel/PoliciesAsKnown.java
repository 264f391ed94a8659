package dev.moratorium.readmodel;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.HistoryEvents;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.AsKnownBy.RecordedEvent;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
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

    @PostConstruct
    void init() {
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

    public synchronized Held held() {
        return new Held(keptBytes, checkpointedBytes, readingBytes);
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
    private final Map<String, Remembered> checkpointed = new ConcurrentHashMap<>();
    /** See {@link #lastReadMostReplays}. */
    private volatile int lastReadMostReplays;
    /** Products whose histories were found too long to keep: their reads collect no events. */
    private final Set<String> tooLong = ConcurrentHashMap.newKeySet();
    /** The estimated heap of {@link #histories}, their events and checkpoints; changed only under this object's lock. */
    private long keptBytes;
    /** The estimated heap of the checkpoints in {@link #checkpointed}; changed only under this object's lock. */
    private long checkpointedBytes;
    /** What reads in progress have reserved for their events and checkpoints; changed only under this object's lock. */
    private long readingBytes;

    /** A policy's checkpoints, and their bytes as last counted in {@link #checkpointedBytes} (under the lock). */
    private static final class Remembered {

        final HistoryCheckpoints checkpoints;
        long counted;

        Remembered(HistoryCheckpoints checkpoints) {
            this.checkpoints = checkpoints;
        }
    }
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
        if (anyCheckpointed(current) || !current.isEmpty() && tooLong.contains(productKey(current.get(0)))) {
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

    private boolean anyCheckpointed(List<Policy> current) {
        for (Policy p : current) {
            if (checkpointed.containsKey(p.policyId())) {
                return true;
            }
        }
        return false;
    }

    private List<Policy> read(List<Policy> current, Instant asOf, UnaryOperator<Policy> shown) {
        Map<String, Optional<Policy>> answers = new HashMap<>();
        List<String> unread = new ArrayList<>();
        for (Policy p : current) {
            Remembered known = checkpointed.get(p.policyId());
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
            try (Keeping keeping = new Keeping(unread, collects)) {
                ProductRead read = new ProductRead(keeping, asOf, shown, answers);
                rows.forEachOf(unread, counted(row -> HistoryEvents.recorded(reader, row)
                        .ifPresent(event -> read.accept(row, event))));
                read.end(current, unread);
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
     * One read of a product's histories, policy after policy ({@link HistoryReads#forEachOf} gives
     * each policy's rows together). A policy's replay and checkpoints are held while its rows come;
     * when they end, its answer is held as {@code shown}, and unless the read still collects events
     * to keep (which hold the same texts, within the budget), its replay is let go and its
     * checkpoints are remembered (if it is long) or dropped.
     */
    private final class ProductRead {

        private final Keeping keeping;
        private final Instant asOf;
        private final UnaryOperator<Policy> shown;
        private final Map<String, Optional<Policy>> answers;
        /** The markings still held: of every policy read while the read collects events, else of the one being read. */
        private final Map<String, Marking> marking = new HashMap<>();
        private String reading;
        private Marking current;
        private boolean kept;
        private int mostHeld;

        ProductRead(Keeping keeping, Instant asOf, UnaryOperator<Policy> shown, Map<String, Optional<Policy>> answers) {
            this.keeping = keeping;
            this.asOf = asOf;
            this.shown = shown;
            this.answers = answers;
        }

        void accept(PolicyEventEntity row, RecordedEvent event) {
            if (!row.policyId.equals(reading)) {
                finishPolicy();
                reading = row.policyId;
                current = newMarking();
                marking.put(reading, current);
                mostHeld = Math.max(mostHeld, marking.size());
            }
            current.replay.accept(row.id, event);
            keeping.marked(current);
            if (keeping.collecting()) {
                keeping.add(row.policyId, row.id, event, row.data.length());
                if (!keeping.collecting()) {
                    // too long to keep: the policies finished so far are let go
                    List.copyOf(marking.keySet()).stream().filter(id -> !id.equals(reading)).forEach(this::letGo);
                }
            }
        }

        private Marking newMarking() {
            return new Marking(new HistoryCheckpoints(decider, CHECKPOINT_SPACING, MAX_CHECKPOINTS, CHECKPOINT_BYTES),
                    asOf);
        }

        private void finishPolicy() {
            if (reading != null) {
                answers.put(reading, current.replay.result().map(shown));
                if (!keeping.collecting()) {
                    letGo(reading);
                }
                reading = null;
                current = null;
            }
        }

        /** A finished policy's marking, no longer needed by this read: its checkpoints remembered if it is long. */
        private void letGo(String policyId) {
            Marking m = marking.remove(policyId);
            if (m.checkpoints.events() >= CHECKPOINT_SPACING) {
                rememberCheckpoints(policyId, m, keeping);
            } else {
                keeping.release(m);
            }
        }

        /** After the last row: keeps what was read if it fits, else lets every policy go. */
        void end(List<Policy> policies, List<String> unread) {
            finishPolicy();
            for (String id : unread) {
                answers.putIfAbsent(id, Optional.empty()); // no rows: not announced yet
            }
            if (keeping.collecting()) {
                unread.forEach(id -> marking.computeIfAbsent(id, none -> newMarking()));
                kept = keeping.keep(policies, marking);
            }
            if (!kept) {
                List.copyOf(marking.keySet()).forEach(this::letGo);
            }
            lastReadMostReplays = mostHeld;
        }

        /** Whether what was read was kept (never when the read was of part of a product, or collected nothing). */
        boolean kept() {
            return kept;
        }
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
        Remembered known = checkpointed.get(policyId);
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
    private Optional<Policy> fromCheckpoints(String policyId, Remembered remembered, Instant asOf) {
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
                    recount(policyId, remembered); // most answers read no row: no count, no lock
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

    /**
     * Moves a policy's checkpoints from what {@code read} reserved to what is remembered, making room
     * for them by count and by bytes.
     */
    private void rememberCheckpoints(String policyId, Marking marked, Keeping read) {
        HistoryCheckpoints checkpoints = marked.checkpoints;
        synchronized (this) {
            read.handOver(marked);
            Remembered old = checkpointed.remove(policyId);
            if (old != null) {
                checkpointedBytes -= old.counted;
            }
            if (checkpointed.size() >= MAX_CHECKPOINTED) {
                // any one makes room: it is marked again by the next answer that needs it
                checkpointed.keySet().stream().findAny().ifPresent(this::forgetCheckpoints);
            }
            Remembered remembered = new Remembered(checkpoints);
            remembered.counted = checkpoints.bytesWithHead();
            checkpointedBytes += remembered.counted;
            checkpointed.put(policyId, remembered);
            makeRoom(true);
        }
    }

    /** Counts what rows read since grew a policy's remembered checkpoints by. */
    private void recount(String policyId, Remembered remembered) {
        synchronized (this) {
            if (checkpointed.get(policyId) == remembered) {
                long now = remembered.checkpoints.bytesWithHead();
                checkpointedBytes += now - remembered.counted;
                remembered.counted = now;
                makeRoom(true);
            }
        }
    }

    /** Under this object's lock. */
    private void forgetCheckpoints(String policyId) {
        Remembered gone = checkpointed.remove(policyId);
        if (gone != null) {
            checkpointedBytes -= gone.counted;
        }
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
     * Under this object's lock: drops kept histories, oldest kept first but sparing once one that
     * answered since, until what is held fits the budget or none is left (reads in progress are not
     * dropped). Remembered checkpoints are dropped only for other checkpoints ({@code
     * forCheckpoints}), down to half the budget: a read that turns out too long to keep must not
     * take them with it (they spare a read of the whole history), nor can they crowd out every
     * history.
     */
    private void makeRoom(boolean forCheckpoints) {
        long budget = maxKeptBytes();
        dropKeptWhile(() -> keptBytes + checkpointedBytes + readingBytes > budget);
        while (forCheckpoints && !checkpointed.isEmpty()
                && (checkpointedBytes > budget / 2 || keptBytes + checkpointedBytes + readingBytes > budget)) {
            checkpointed.keySet().stream().findAny().ifPresent(this::forgetCheckpoints);
        }
    }

    /** Under this object's lock: drops kept histories, oldest kept first but sparing once one that answered since. */
    private void dropKeptWhile(BooleanSupplier tooMuch) {
        // each kept history is spared at most once here, so the loop ends even while answers mark them again
        int spares = keptOrder.size();
        while (tooMuch.getAsBoolean() && !keptOrder.isEmpty()) {
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
    }

    /** Reserves heap for a read in progress, making room; false (nothing reserved) if it does not fit even so. */
    private synchronized boolean reserve(long bytes) {
        readingBytes += bytes;
        makeRoom(false);
        if (keptBytes + checkpointedBytes + readingBytes > maxKeptBytes()) {
            readingBytes -= bytes;
            return false;
        }
        return true;
    }

    /** Counts heap a read in progress holds whether or not it fits (its checkpoints, bounded per policy). */
    private synchronized void hold(long bytes) {
        readingBytes += bytes;
        if (bytes > 0) {
            makeRoom(false);
        }
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

    /**
     * The most policies the last read from the database replayed at once (for tests): one, unless it
     * collected events to keep, which hold the same texts within the budget.
     */
    public int lastReadMostReplays() {
        return lastReadMostReplays;
    }

    /** Whether this policy is remembered by its checkpoints alone (for tests). */
    public boolean checkpointedOnly(String policyId) {
        return checkpointed.containsKey(policyId);
    }

    private long maxKeptBytes() {
        return config.api().asOfKeptHistories().asLongValue();
    }

    /** One policy's checkpoints being marked by a read, its replay, and the checkpoints' bytes the read holds for them. */
    private static final class Marking {

        final HistoryCheckpoints checkpoints;
        final HistoryCheckpoints.ReplayWhileMarking replay;
        long held;

        Marking(HistoryCheckpoints checkpoints, Instant asOf) {
            this.checkpoints = checkpoints;
            this.replay = checkpoints.replayWhileMarking(asOf);
        }
    }

    /**
     * What one read collects and has reserved: its events, kept while they fit the budget
     * ({@link #reserve}, a quarter of a megabyte at a time rather than a lock per row), and its
     * policies' checkpoints, counted as they grow ({@link #hold}); what is neither kept nor
     * remembered is released when the read closes, however it ends.
     */
    private final class Keeping implements AutoCloseable {

        private static final long RESERVED_AT_ONCE = 256 * 1024;

        private Map<String, List<RecordedEvent>> events;
        private final Map<String, List<Long>> positions = new HashMap<>();
        private final Map<String, Long> perPolicy = new HashMap<>();
        private long eventBytes;
        /** What this read holds of {@link #readingBytes}: its events, its checkpoints, and {@link #unspent}. */
        private long reserved;
        /** Reserved for events not read yet. */
        private long unspent;

        Keeping(List<String> ids, boolean collects) {
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
            long cost = estimatedBytes(dataChars);
            if (cost > unspent) {
                long more = Math.max(cost - unspent, RESERVED_AT_ONCE);
                if (!reserve(more)) {
                    more = cost - unspent; // near the budget: only what this event needs
                    if (!reserve(more)) {
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
            hold(-(eventBytes + unspent));
            reserved -= eventBytes + unspent;
            eventBytes = 0;
            unspent = 0;
        }

        /** After each event a policy's checkpoints were fed: what they grew (or, thinned, shrank) by is held. */
        void marked(Marking m) {
            long now = m.checkpoints.bytes();
            if (now != m.held) {
                hold(now - m.held);
                reserved += now - m.held;
                m.held = now;
            }
        }

        boolean collecting() {
            return events != null;
        }

        /** A policy's checkpoints, dropped: no longer held by this read. */
        void release(Marking m) {
            if (m.held != 0) {
                hold(-m.held);
                reserved -= m.held;
                m.held = 0;
            }
        }

        /** Under the outer lock: a policy's checkpoints are now counted as remembered, no longer as this read's. */
        void handOver(Marking m) {
            readingBytes -= m.held;
            reserved -= m.held;
            m.held = 0;
        }

        /**
         * Keeps what was read, with its checkpoints, tagged with the index's states it was read for,
         * making room if needed; false if it was too long to keep.
         */
        boolean keep(List<Policy> current, Map<String, Marking> marking) {
            if (events == null) {
                return false;
            }
            long bytes = reserved - unspent; // the events and checkpoints of every policy read
            if (bytes > maxKeptBytes()) {
                return false;
            }
            synchronized (PoliciesAsKnown.this) {
                for (Policy p : current) {
                    History old = histories.remove(p.policyId());
                    if (old != null) {
                        keptBytes -= old.bytes();
                    }
                }
                readingBytes -= reserved;
                reserved = 0;
                unspent = 0;
                keptBytes += bytes;
                for (Policy p : current) {
                    String id = p.policyId();
                    Marking m = marking.get(id);
                    m.held = 0;
                    History history = new History(p, List.copyOf(events.get(id)),
                            positions.get(id).stream().mapToLong(Long::longValue).toArray(), m.checkpoints,
                            perPolicy.getOrDefault(id, 0L) + m.checkpoints.bytes());
                    histories.put(id, history);
                    keptOrder.add(new Kept(id, history));
                }
                dropKeptWhile(() -> histories.size() > MAX_CACHED);
                makeRoom(false);
                if (keptOrder.size() > 2 * histories.size() + 1_024) {
                    // re-read products left replaced histories behind: keep the queue within twice what is kept
                    keptOrder.removeIf(k -> histories.get(k.policyId()) != k.history());
                }
            }
            return true;
        }

        @Override
        public void close() {
            if (reserved != 0) {
                hold(-reserved);
                reserved = 0;
            }
        }
    }

    /** What an event of this much JSON data is estimated to take kept decoded (see {@link #EVENT_BYTES}). */
    static long estimatedBytes(int dataChars) {
        return EVENT_BYTES + (long) BYTES_PER_DATA_CHAR * dataChars;
    }
}
