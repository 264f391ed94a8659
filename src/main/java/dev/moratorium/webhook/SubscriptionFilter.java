package dev.moratorium.webhook;

import dev.moratorium.policy.Names;
import java.util.Collection;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which notifications a subscriber wants: by type, by vendor, or (empty sets) all. Vendors compare
 * by their name key, as everywhere else (CONTRACT.md §5, "Names").
 */
public record SubscriptionFilter(Set<String> types, Set<String> vendorKeys) {

    public static SubscriptionFilter of(Collection<String> types, Collection<String> vendors) {
        return new SubscriptionFilter(Set.copyOf(types),
                vendors.stream().map(Names::key).collect(Collectors.toUnmodifiableSet()));
    }

    public boolean matches(String type, String vendor) {
        return (types.isEmpty() || types.contains(type))
                && (vendorKeys.isEmpty() || (vendor != null && vendorKeys.contains(Names.key(vendor))));
    }
}
