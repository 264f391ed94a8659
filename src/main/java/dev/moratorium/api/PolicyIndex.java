package dev.moratorium.api;

import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.store.PolicyStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Every policy, in memory, by vendor and product: gateways ask {@code /access} on every call they
 * serve, so a decision must not cost a database query. Each replica keeps its own index complete
 * by loading everything at start, and current by asking the database only for policies whose
 * version grew (a trigger-assigned, commit-ordered number) — right after a local write, and every
 * 200 ms for writes made by other replicas.
 */
@ApplicationScoped
public class PolicyIndex {

    private static final Logger LOG = Logger.getLogger(PolicyIndex.class);
    private static final Duration POLL = Duration.ofMillis(200);

    @Inject
    PolicyStore policies;

    @Inject
    EntityManager em;

    @Inject
    ChangeSignal signal;

    /**
     * vendor → product (both case-folded) → its policies, an immutable list replaced as a whole
     * when one of them changes, so a request reads it without copying or locking. Two small maps
     * rather than one keyed by "vendor|product": no key string to build per request, and the
     * vendor level stays in the CPU cache (the flat map's look-up was a quarter of /access).
     */
    private final Map<String, Map<String, List<Policy>>> byVendor = new ConcurrentHashMap<>();
    private volatile long seenVersion = -1;
    private volatile boolean running;

    void start(@Observes StartupEvent event) {
        refresh();
        running = true;
        Thread t = new Thread(this::loop, "policy-index");
        t.setDaemon(true);
        t.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        signal.changed();
    }

    /** The policies on this vendor's product (names compared case-insensitively). */
    public List<Policy> policiesFor(String vendor, String product) {
        Map<String, List<Policy>> products = byVendor.get(Names.key(vendor));
        return products == null ? List.of() : products.getOrDefault(Names.key(product), List.of());
    }

    public boolean isLoaded() {
        return seenVersion >= 0;
    }

    private void loop() {
        while (running) {
            try {
                long seen = signal.version();
                refresh();
                signal.awaitChangeAfter(seen, POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.debugf("Policy index not refreshed: %s", e.getMessage());
                sleep();
            }
        }
    }

    /** Loads the policies whose version is above the last one seen. */
    synchronized void refresh() {
        QuarkusTransaction.requiringNew().run(() -> {
            @SuppressWarnings("unchecked")
            List<Object[]> changed = em.createNativeQuery(
                    "SELECT policy_id, version FROM policy WHERE version > ?1 ORDER BY version")
                    .setParameter(1, seenVersion).getResultList();
            if (changed.isEmpty()) {
                if (seenVersion < 0) {
                    seenVersion = 0;
                }
                return;
            }
            List<String> ids = changed.stream().map(r -> (String) r[0]).toList();
            for (Policy p : policies.read(ids).values()) {
                Map<String, List<Policy>> products = byVendor.computeIfAbsent(Names.key(p.vendor()),
                        k -> new ConcurrentHashMap<>());
                products.put(Names.key(p.product()), merge(products.getOrDefault(Names.key(p.product()), List.of()), p));
            }
            seenVersion = ((Number) changed.get(changed.size() - 1)[1]).longValue();
        });
    }

    /** The product's list with this policy replaced (same id) or added at the end. */
    private static List<Policy> merge(List<Policy> current, Policy update) {
        List<Policy> merged = new ArrayList<>(current.size() + 1);
        boolean replaced = false;
        for (Policy p : current) {
            if (p.policyId().equals(update.policyId())) {
                merged.add(update);
                replaced = true;
            } else {
                merged.add(p);
            }
        }
        if (!replaced) {
            merged.add(update);
        }
        return List.copyOf(merged);
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
