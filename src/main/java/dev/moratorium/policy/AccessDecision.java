package dev.moratorium.policy;

import java.time.Instant;

/**
 * The answer a gateway asks for: may this caller use this product at this instant?
 *
 * @param policyId the policy that decided it (restricting, exempting, or the next one scheduled), or {@code null}
 * @param until    when the answer changes, as far as is known: the restriction's end when denied,
 *                 the next restriction's start when allowed; {@code null} when nothing is scheduled
 */
public record AccessDecision(boolean allowed, String policyId, String reason, Instant until) {
}
