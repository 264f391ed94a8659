package dev.moratorium.readmodel;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.store.PolicyReads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Every policy, in memory, by vendor and product: gateways ask {@code /access} on every call they
 * serve, so a decision must not cost a database query. Each replica keeps its own index complete
 * by loading everything at start, and current by asking the database only for policies whose
 * version grew (a trigger-assigned, commit-ordered number) — right after a local write, and every
 * 200 ms for writes made by other replicas.
 *
 * <p>Both read in chunks by version (a keyset), each chunk its own short transaction, so no
 * statement grows with the state. A policy written while a load is under way gets a higher
 * version and is read again by a later chunk, so the index ends at the latest state.
 *
 * <p>Not every policy comes with its exemptions: one may keep a megabyte of them within the
 * limits, and 200 such policies, held whole, took more than the pod's 160 MB heap at every start.
 * A policy whose exemptions are large, or would pass {@code moratorium.index.exemptions-held}
 * beside those held ({@link ExemptionAdmission}), is held without them, and a decision that needs
 * them reads the named organization's from the database ({@link #withExemptionsOf}).
 */
@ApplicationScoped
public class PolicyIndex {

    private static final Logger LOG = Logger.getLogger(PolicyIndex.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /**
     * At most one refresh per this interval when commits come faster: each is a transaction, 200 a
     * second at 200 events/s; a decision sees a change at most this much later than before.
     */
    private static final Duration MIN_GAP = Duration.ofMillis(20);
    /** How long the stop waits for a refresh in progress (each chunk is one short read). */
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);

    @Inject
    PolicyReads reads;

    @Inject
    ChangeSignal signal;

    @Inject
    MoratoriumConfig config;

    @Inject
    MeterRegistry registry;

    private volatile PolicyCatalog catalog = new PolicyCatalog();
    /** The highest version read; -1 until the first complete load. Written under this object's lock. */
    private volatile long seenVersion = -1;
    /** System.nanoTime() of the last refresh that reached the database's latest version. */
    private volatile long refreshedAtNanos = System.nanoTime();
    private volatile boolean running;
    private ReaderThread thread;
    private Counter failures;
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Access index not refreshed");

    void start(@Observes StartupEvent event) {
        failures = Counter.builder("moratorium.index.refresh.failures")
                .description("Refreshes of the access index that failed (each is retried)").register(registry);
        Gauge.builder("moratorium.index.age.seconds", this, PolicyIndex::ageSeconds).baseUnit("seconds")
                .description("Time since the access index last caught up with the database").register(registry);
        Gauge.builder("moratorium.index.policies", this, i -> i.catalog.size())
                .description("Policies held by the access index").register(registry);
        Gauge.builder("moratorium.index.policies.without.exemptions", this, i -> i.catalog.withoutExemptions())
                .description("Policies the access index holds without their exemptions (read per decision instead)")
                .register(registry);
        Gauge.builder("moratorium.index.exemptions", this, i -> i.catalog.exemptionBytes()).baseUnit("bytes")
                .description("Exemptions held by the access index, as moratorium.index.exemptions-held counts them")
                .register(registry);
        try {
            refresh();
        } catch (RuntimeException e) {
            // Not fatal: readiness stays DOWN and /access answers 503 until the loop has loaded it.
            failed(e);
        }
        running = true;
        long[] lastRound = {System.nanoTime() - MIN_GAP.toNanos()};
        RefreshLoop loop = new RefreshLoop(() -> {
            ChangeSignal.pace(lastRound[0], MIN_GAP);
            lastRound[0] = System.nanoTime();
            long seen = signal.version();
            refresh();
            failureLog.succeeded();
            signal.awaitChangeAfter(seen, POLL);
        }, this::failed, () -> running, POLL, MAX_BACKOFF, d -> Thread.sleep(d.toMillis()));
        thread = ReaderThread.start("policy-index", loop);
    }

    /** Ends the refresh loop before Quarkus closes the database it reads (see ReaderThread). */
    void stop(@Observes ShutdownEvent event) {
        running = false;
        signal.changed();
        if (thread != null && !thread.awaitEnd(STOP_WAIT)) {
            LOG.warnf("Access index refresh still running %d s into the stop", STOP_WAIT.toSeconds() * 2);
        }
    }

    /**
     * The policies on this vendor's product (names compared by their keys), some perhaps without
     * their exemptions: a decision that names an organization takes them from
     * {@link #withExemptionsOf} unless the index {@link #holdsExemptionsOf} those it reads.
     */
    public List<Policy> policiesFor(String vendor, String product) {
        return catalog.policiesFor(Names.key(vendor), Names.key(product));
    }

    /**
     * These policies (from {@link #policiesFor}) with only this organization's exemptions where
     * the index holds them by organization (policies of many exemptions): the same decision, which
     * then does not look through every exemption of the product. The list as it is when none is.
     */
    public List<Policy> narrowedTo(List<Policy> policies, String organization) {
        if (organization == null) {
            return policies;
        }
        String key = Names.key(organization);
        List<Policy> narrowed = null;
        for (int i = 0; i < policies.size(); i++) {
            Policy p = policies.get(i);
            Policy n = catalog.narrowedTo(p, key);
            if (n != p && narrowed == null) {
                narrowed = new ArrayList<>(policies.subList(0, i));
            }
            if (narrowed != null) {
                narrowed.add(n);
            }
        }
        return narrowed == null ? policies : narrowed;
    }

    /** Whether every policy is held with its exemptions (nearly always: see moratorium.index.exemptions-held). */
    public boolean holdsEveryExemption() {
        return catalog.holdsEveryExemption();
    }

    /**
     * Whether these policies (from {@link #policiesFor}) are held with their exemptions, as far as
     * a decision reads them ({@code exemptionsRead}: AccessRules#readsExemptions,
     * AccessExplainer#readsExemptions).
     */
    public boolean holdsExemptionsOf(List<Policy> policies, Predicate<Policy> exemptionsRead) {
        return catalog.holdsExemptionsOf(policies, exemptionsRead);
    }

    /**
     * These policies, each held without its exemptions and read by the decision given those it grants this
     * organization, read from the database (revoked ones too: a decision and its explanation about
     * the organization read them). The exemptions may be newer than the rest of the policy held, by
     * at most the time a refresh takes to follow a write.
     */
    public List<Policy> withExemptionsOf(List<Policy> policies, String organization,
            Predicate<Policy> exemptionsRead) {
        List<String> without = policies.stream().filter(p -> catalog.heldWithoutExemptions(p.policyId())
                && exemptionsRead.test(p)).map(Policy::policyId).toList();
        if (without.isEmpty()) {
            return policies;
        }
        Map<String, List<Exemption>> granted = reads.exemptionsOf(without, Names.key(organization));
        return policies.stream().map(p -> without.contains(p.policyId())
                ? p.withExemptions(granted.getOrDefault(p.policyId(), List.of())) : p).toList();
    }

    /** Whether the policy is held without its exemptions (for tests and operators). */
    public boolean heldWithoutExemptions(String policyId) {
        return catalog.heldWithoutExemptions(policyId);
    }

    /** Whether every policy has been loaded once; until then decisions would be wrong. */
    public boolean isLoaded() {
        return seenVersion >= 0;
    }

    /** Seconds since the index last caught up with the database. */
    public double ageSeconds() {
        return (System.nanoTime() - refreshedAtNanos) / 1e9;
    }

    public int size() {
        return catalog.size();
    }

    /** How many policies are held without their exemptions (see moratorium.index.exemptions-held). */
    public int withoutExemptions() {
        return catalog.withoutExemptions();
    }

    /** Reads what changed since the last version seen (everything, the first time). */
    public synchronized void refresh() {
        if (seenVersion < 0) {
            reload();
            return;
        }
        seenVersion = readInto(catalog, seenVersion);
        refreshedAtNanos = System.nanoTime();
    }

    /** Loads every policy into a new catalog and then answers from it (operators, tests). */
    public synchronized void reload() {
        long started = System.nanoTime();
        PolicyCatalog fresh = new PolicyCatalog();
        long version = readInto(fresh, 0);
        catalog = fresh;
        seenVersion = version;
        refreshedAtNanos = System.nanoTime();
        LOG.debugf("Access index loaded: %d policies in %d ms", fresh.size(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Loads every policy into a new catalog without using it: what the index costs, measured. */
    public PolicyCatalog loadCatalog() {
        PolicyCatalog fresh = new PolicyCatalog();
        readInto(fresh, 0);
        return fresh;
    }

    /**
     * Reads the policies above {@code version} chunk by chunk; answers the last version read. Each
     * chunk reads the exemptions only of the policies that fit {@code moratorium.index.exemptions-held}
     * beside those held, so that neither a chunk nor the index grows past it.
     */
    private long readInto(PolicyCatalog target, long version) {
        int chunkSize = config.index().chunkSize();
        long budget = config.index().exemptionsHeld().asLongValue();
        long last = version;
        while (true) {
            long from = last;
            PolicyReads.Chunk chunk = QuarkusTransaction.requiringNew().call(() -> reads.changedSince(from, chunkSize,
                    new ExemptionAdmission(target, budget)));
            target.putAll(chunk.policies(), chunk.withoutExemptions());
            last = chunk.lastVersion();
            if (chunk.policies().size() < chunkSize) {
                return last;
            }
        }
    }

    private void failed(Throwable t) {
        failures.increment();
        if (!running && thread != null) {
            LOG.debugf("Access index refresh ended by the stop: %s", Sanitize.forLog(String.valueOf(t)));
            return;
        }
        failureLog.failed(String.format("%.0f s behind; retrying: %s", ageSeconds(), Sanitize.forLog(String.valueOf(t))));
    }
}
