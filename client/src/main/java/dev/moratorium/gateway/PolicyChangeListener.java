package dev.moratorium.gateway;

import dev.moratorium.policy.Policy;

/** Told of every change the client applies to its local view, on the client's consumer thread. */
@FunctionalInterface
public interface PolicyChangeListener {

    /**
     * @param policyId the policy that changed
     * @param before   its state before, or {@code null} when the client had not seen it
     * @param after    its state now, or {@code null} when it was deleted (a tombstone)
     */
    void changed(String policyId, Policy before, Policy after);
}
