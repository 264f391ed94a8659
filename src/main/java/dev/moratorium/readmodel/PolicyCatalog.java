package dev.moratorium.readmodel;

import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.store.PolicyReads;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Policies by vendor and product key, for look-ups without locks: one writer (the index's refresh)
 * replaces a product's immutable list as a whole, any number of readers read it without copying.
 * Two small maps rather than one keyed by "vendor|product": no key string to build per request,
 * and the vendor level stays in the CPU cache (the flat map's look-up was a quarter of /access).
 */
public final class PolicyCatalog {

    private final Map<String, Map<String, List<Policy>>> byVendor = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    /** Policies held without their exemptions (see PolicyIndex); nearly always empty. */
    private final Set<String> withoutExemptions = ConcurrentHashMap.newKeySet();
    /** {@link PolicyReads#exemptionBytes} summed over the policies held. */
    private final AtomicLong exemptionBytes = new AtomicLong();

    /** The policies on this product; the keys are {@link Names#key}s. */
    public List<Policy> policiesFor(String vendorKey, String productKey) {
        Map<String, List<Policy>> products = byVendor.get(vendorKey);
        return products == null ? List.of() : products.getOrDefault(productKey, List.of());
    }

    /**
     * Adds these policies, or replaces the ones with their ids (a policy's vendor and product never
     * change); those named in {@code withoutExemptions} come without them. Each product's list is
     * rebuilt once per call, whatever the number of its policies in it, so loading a large state
     * costs the size of the lists, not its square.
     *
     * <p>A reader that finds a policy without its exemptions must find it named: names are added
     * before the lists that hold such policies are published, and taken away only after the lists
     * that hold them whole. A name seen a moment too long costs a read, never a wrong decision.
     */
    void putAll(List<Policy> policies) {
        putAll(policies, Set.of());
    }

    void putAll(List<Policy> policies, Set<String> withoutExemptions) {
        this.withoutExemptions.addAll(withoutExemptions);
        Map<String, Map<String, List<Policy>>> updates = new HashMap<>();
        for (Policy p : policies) {
            updates.computeIfAbsent(Names.key(p.vendor()), k -> new HashMap<>())
                    .computeIfAbsent(Names.key(p.product()), k -> new ArrayList<>()).add(p);
        }
        updates.forEach((vendorKey, byProduct) -> {
            Map<String, List<Policy>> products = byVendor.computeIfAbsent(vendorKey, k -> new ConcurrentHashMap<>());
            byProduct.forEach((productKey, changed) ->
                    products.put(productKey, merge(products.getOrDefault(productKey, List.of()), changed)));
        });
        if (!this.withoutExemptions.isEmpty()) {
            for (Policy p : policies) {
                if (!withoutExemptions.contains(p.policyId())) {
                    this.withoutExemptions.remove(p.policyId());
                }
            }
        }
    }

    /** Whether every one of these policies that {@code reads} is held with its exemptions. */
    boolean holdsExemptionsOf(List<Policy> policies, Predicate<Policy> reads) {
        if (withoutExemptions.isEmpty()) {
            return true;
        }
        for (Policy p : policies) {
            if (withoutExemptions.contains(p.policyId()) && reads.test(p)) {
                return false;
            }
        }
        return true;
    }

    /** Whether this policy is held without its exemptions. */
    boolean heldWithoutExemptions(String policyId) {
        return withoutExemptions.contains(policyId);
    }

    /** Whether no policy is held without its exemptions. */
    boolean holdsEveryExemption() {
        return withoutExemptions.isEmpty();
    }

    /** How many policies are held without their exemptions. */
    int withoutExemptions() {
        return withoutExemptions.size();
    }

    /** {@link PolicyReads#exemptionBytes} of the policies held. */
    long exemptionBytes() {
        return exemptionBytes.get();
    }

    /** How many policies it holds. */
    public int size() {
        return size.get();
    }

    /** The product's list with these policies replaced (same id) in place, or added at the end. */
    private List<Policy> merge(List<Policy> current, List<Policy> changed) {
        Map<String, Policy> byId = new LinkedHashMap<>();
        for (Policy p : current) {
            byId.put(p.policyId(), p);
        }
        long bytes = 0;
        for (Policy p : changed) {
            Policy before = byId.put(p.policyId(), p);
            if (before == null) {
                size.incrementAndGet();
            } else {
                bytes -= PolicyReads.exemptionBytes(before);
            }
            bytes += PolicyReads.exemptionBytes(p);
        }
        exemptionBytes.addAndGet(bytes);
        return List.copyOf(byId.values());
    }
}
