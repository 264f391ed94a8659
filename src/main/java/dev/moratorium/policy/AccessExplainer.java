package dev.moratorium.policy;

import dev.moratorium.policy.AccessExplanation.ExemptionCheck;
import dev.moratorium.policy.AccessExplanation.PolicyConsidered;
import dev.moratorium.policy.AccessExplanation.Role;
import dev.moratorium.policy.AccessExplanation.Rule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Explains an access decision: the decision itself comes from {@link AccessRules#decide} (one rule,
 * not a second copy of it); this walks the same policies and reports what each check said. Only
 * asked for with {@code explain=true}, so it is written for clarity, not speed.
 */
public final class AccessExplainer {

    private AccessExplainer() {
    }

    /** The decision and its explanation. */
    public record Explained(AccessDecision decision, AccessExplanation explanation) {
    }

    /**
     * Whether {@link #explain} reads this policy's exemptions: whenever it covers the caller's
     * segment and jurisdiction, in force or not (it says why an exemption does not hold).
     */
    public static boolean readsExemptions(Policy p, String segment, String jurisdiction) {
        return p.coversSegmentKey(Names.key(segment)) && Jurisdictions.applies(p.jurisdiction(), jurisdiction);
    }

    /** @param asOf echoed in the explanation: the policies given are already those known by then */
    public static Explained explain(Collection<Policy> policies, String segment, String organization,
            String jurisdiction, Instant at, Instant asOf) {
        AccessDecision decision = AccessRules.decide(policies, segment, organization, jurisdiction, at);
        String segmentKey = Names.key(segment);
        String organizationKey = Names.key(organization);
        List<PolicyConsidered> considered = new ArrayList<>(policies.size());
        Rule rule = decision.policyId() == null ? Rule.NO_RESTRICTION
                : !decision.allowed() ? Rule.RESTRICTION_IN_FORCE : Rule.NEXT_RESTRICTION;
        for (Policy p : policies) {
            boolean covers = p.coversSegmentKey(segmentKey);
            boolean applies = Jurisdictions.applies(p.jurisdiction(), jurisdiction);
            boolean inForce = p.restrictsAt(at);
            ExemptionCheck exemption = covers && applies ? exemption(p, organization, organizationKey, at, inForce) : null;
            Role role;
            if (!covers) {
                role = Role.SEGMENT_NOT_COVERED;
            } else if (!applies) {
                role = Role.JURISDICTION_DOES_NOT_APPLY;
            } else if (p.policyId().equals(decision.policyId())) {
                role = Role.DECIDED;
                if (decision.allowed() && inForce) {
                    rule = Rule.EXEMPTION;
                }
            } else if (inForce) {
                role = exemption.matched() ? Role.EXEMPTS : Role.RESTRICTS;
            } else if (p.effectiveFrom().isAfter(at)) {
                role = Role.STARTS_LATER;
            } else {
                role = Role.NOT_IN_FORCE;
            }
            considered.add(new PolicyConsidered(p.policyId(), p.kind(), p.segments(), covers, p.jurisdiction(), applies,
                    p.effectiveFrom(), p.effectiveUntil(), p.statusAt(at), inForce, exemption, role));
        }
        return new Explained(decision, new AccessExplanation(at, asOf, jurisdiction, rule, considered));
    }

    private static ExemptionCheck exemption(Policy p, String organization, String organizationKey, Instant at,
            boolean inForce) {
        if (organizationKey == null) {
            return new ExemptionCheck(false, null, null, null, null, "no organization given");
        }
        Exemption held = p.exemptionHeldAtKey(organizationKey, at);
        if (held != null) {
            return new ExemptionCheck(true, held.organization(), held.purpose(), held.grantedAt(), held.revokedAt(),
                    Names.inSentence(held.organization()) + " holds an exemption at this instant"
                            + (inForce ? "" : ", though the policy does not restrict then"));
        }
        for (Exemption e : p.exemptions()) {
            if (organizationKey.equals(Names.key(e.organization()))) {
                String why = e.grantedAt() != null && at.isBefore(e.grantedAt())
                        ? "the exemption for " + Names.inSentence(e.organization()) + " holds only from " + TimeText.of(e.grantedAt())
                        : "the exemption for " + Names.inSentence(e.organization()) + " was revoked on " + TimeText.of(e.revokedAt());
                return new ExemptionCheck(false, e.organization(), e.purpose(), e.grantedAt(), e.revokedAt(), why);
            }
        }
        return new ExemptionCheck(false, organization, null, null, null,
                Names.inSentence(organization) + " holds no exemption from " + p.policyId());
    }
}
