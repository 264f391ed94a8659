package dev.moratorium.gateway;

import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client's local table of policies, laid out like the service's index: vendor, then product
 * (both by {@link Names#key}), to an immutable list replaced as a whole, so a decision reads it
 * without locking or copying while the one consumer thread writes.
 */
final class PolicyView {

    private final Map<String, Map<String, List<Policy>>> byVendor = new ConcurrentHashMap<>();
    private final Map<String, Policy> byId = new ConcurrentHashMap<>();

    /** The policies on this vendor's product (names compared by their key). */
    List<Policy> policiesFor(String vendor, String product) {
        Map<String, List<Policy>> products = byVendor.get(Names.key(vendor));
        return products == null ? List.of() : products.getOrDefault(Names.key(product), List.of());
    }

    Optional<Policy> policy(String policyId) {
        return Optional.ofNullable(byId.get(policyId));
    }

    int size() {
        return byId.size();
    }

    /** Puts the policy's new state; returns the state it replaces, or {@code null}. */
    Policy put(Policy policy) {
        Policy previous = byId.put(policy.policyId(), policy);
        if (previous != null && !sameProduct(previous, policy)) {
            removeFromProduct(previous);
        }
        Map<String, List<Policy>> products = byVendor.computeIfAbsent(Names.key(policy.vendor()),
                k -> new ConcurrentHashMap<>());
        String product = Names.key(policy.product());
        products.put(product, replaced(products.getOrDefault(product, List.of()), policy));
        return previous;
    }

    /** A tombstone on the compacted topic: the policy is gone. Returns what was there, or {@code null}. */
    Policy remove(String policyId) {
        Policy previous = byId.remove(policyId);
        if (previous != null) {
            removeFromProduct(previous);
        }
        return previous;
    }

    private void removeFromProduct(Policy policy) {
        Map<String, List<Policy>> products = byVendor.get(Names.key(policy.vendor()));
        if (products == null) {
            return;
        }
        String product = Names.key(policy.product());
        List<Policy> kept = products.getOrDefault(product, List.of()).stream()
                .filter(p -> !p.policyId().equals(policy.policyId())).toList();
        if (kept.isEmpty()) {
            products.remove(product);
        } else {
            products.put(product, kept);
        }
    }

    private static boolean sameProduct(Policy a, Policy b) {
        return Names.key(a.vendor()).equals(Names.key(b.vendor())) && Names.key(a.product()).equals(Names.key(b.product()));
    }

    /** The list with this policy replaced (same id) or added at the end, as the service's index does. */
    private static List<Policy> replaced(List<Policy> current, Policy update) {
        List<Policy> merged = new ArrayList<>(current.size() + 1);
        boolean found = false;
        for (Policy p : current) {
            if (p.policyId().equals(update.policyId())) {
                merged.add(update);
                found = true;
            } else {
                merged.add(p);
            }
        }
        if (!found) {
            merged.add(update);
        }
        return List.copyOf(merged);
    }
}
