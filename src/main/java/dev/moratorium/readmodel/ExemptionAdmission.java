package dev.moratorium.readmodel;

import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.store.PolicyReads;
import java.util.HashMap;
import java.util.Map;

/**
 * Decides, for one chunk the access index reads, which policies it keeps with their exemptions:
 * those of at most {@link #MAX_HELD_PER_POLICY} that fit the budget beside the ones held (a policy
 * read again gives back what its version held). The bytes each held policy counts are gathered per
 * product once per chunk, so a chunk costs the size of its products' lists, not that times its rows.
 */
final class ExemptionAdmission implements PolicyReads.HeldExemptions {

    /**
     * Exemption bytes (PolicyReads#exemptionBytes) past which a policy is held without its
     * exemptions, however much of the budget is left: a few policies at the exemption limits (up
     * to a megabyte each) would otherwise take the room of thousands of ordinary ones (a few
     * hundred bytes each), whose exempt callers would then cost a read.
     */
    static final long MAX_HELD_PER_POLICY = 64 * 1024;

    private final PolicyCatalog catalog;
    private final long budget;
    private long taken;
    private final Map<String, Map<String, Long>> heldByProduct = new HashMap<>();

    ExemptionAdmission(PolicyCatalog catalog, long budget) {
        this.catalog = catalog;
        this.budget = budget;
        this.taken = catalog.exemptionBytes();
    }

    @Override
    public boolean takes(Policy row, long exemptionBytes) {
        if (exemptionBytes > MAX_HELD_PER_POLICY) {
            return false;
        }
        long replaced = held(row);
        if (taken - replaced + exemptionBytes > budget) {
            return false;
        }
        taken += exemptionBytes - replaced;
        return true;
    }

    /** What the version held of this policy counts (0 if none is, or it is held without exemptions). */
    private long held(Policy row) {
        String vendorKey = Names.key(row.vendor());
        String productKey = Names.key(row.product());
        Map<String, Long> byId = heldByProduct.computeIfAbsent(vendorKey + '\0' + productKey, k -> {
            Map<String, Long> bytes = new HashMap<>();
            for (Policy p : catalog.policiesFor(vendorKey, productKey)) {
                long b = PolicyReads.exemptionBytes(p);
                if (b > 0) {
                    bytes.put(p.policyId(), b);
                }
            }
            return bytes;
        });
        return byId.getOrDefault(row.policyId(), 0L);
    }
}
