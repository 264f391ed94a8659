package dev.moratorium.readmodel;

import dev.moratorium.policy.Exemption;
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
    /**
     * A policy with at least this many exemptions is also held by organization key. A decision that
     * names an organization read every exemption of the product's policies, each one's key computed
     * again: 20 policies of 400 exemptions took /access from 1,730-1,850 requests/s to 417-833 in dev
     * mode. Below it, the decision's own look through the list is as quick as a map.
     */
    static final int ORGANIZED_FROM = 32;
    /**
     * Exemptions held by organization, at most, all policies together: each costs 80-100 bytes of
     * heap beside the exemption (its key, a map entry, a list; 50 policies of 1,000 measured 3.9 MB
     * with names of 10 characters, 4.8 MB with 25), which the exemptions-held budget does not
     * count. Past it a policy is decided by looking through its list, as before.
     */
    static final int MAX_ORGANIZED = 50_000;
    /** By policy id: the policy object indexed, and its exemptions by organization key. */
    private final Map<String, Organized> organized = new ConcurrentHashMap<>();
    /** The exemptions of the policies in {@link #organized}; written by the one writer only. */
    private int organizedExemptions;

    private record Organized(Policy policy, Map<String, List<Exemption>> byOrganization) {

        static Organized of(Policy policy) {
            Map<String, List<Exemption>> byOrganization = new HashMap<>();
            for (Exemption e : policy.exemptions()) {
                byOrganization.computeIfAbsent(Names.key(e.organization()), k -> new ArrayList<>(1)).add(e);
            }
            byOrganization.replaceAll((key, list) -> List.copyOf(list));
            return new Organized(policy, byOrganization);
        }
    }

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

    /**
     * The policy with only this organization's exemptions (all a decision about that caller reads,
     * see {@link Policy#withExemptionsOnlyOf}), when it is held by organization; else the policy as
     * it is. The index is used only for the very policy object it was made of: a reader holding a
     * list from before a refresh, or after it while the index is replaced, gets the policy whole.
     */
    Policy narrowedTo(Policy policy, String organizationKey) {
        Organized o = organized.get(policy.policyId());
        if (o == null || o.policy() != policy) {
            return policy;
        }
        return policy.withExemptions(o.byOrganization().getOrDefault(organizationKey, List.of()));
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

    /** Holds the policy by organization, or stops holding it so, as its exemptions and the room say. */
    private void organize(Policy p) {
        Organized before = organized.remove(p.policyId());
        if (before != null) {
            organizedExemptions -= before.policy().exemptions().size();
        }
        int count = p.exemptions().size();
        if (count >= ORGANIZED_FROM && organizedExemptions + count <= MAX_ORGANIZED) {
            organized.put(p.policyId(), Organized.of(p));
            organizedExemptions += count;
        }
    }

    /** How many exemptions are held by organization (for tests). */
    int organizedExemptions() {
        return organizedExemptions;
    }

    /** The product's list with these policies replaced (same id) in place, or added at the end. */
    private List<Policy> merge(List<Policy> current, List<Policy> changed) {
        Map<String, Policy> byId = new LinkedHashMap<>();
        for (Policy p : current) {
            byId.put(p.policyId(), p);
        }
        long bytes = 0;
        for (Policy p : changed) {
            organize(p);
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
