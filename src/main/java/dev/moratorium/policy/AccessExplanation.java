package dev.moratorium.policy;

import java.time.Instant;
import java.util.List;

/**
 * Why {@link AccessRules} answered as it did: every policy on the vendor's product, what each
 * check said about it, and the rule that decided. Built by {@link AccessExplainer}.
 *
 * @param at           the instant access happens
 * @param asOf         what was known: the answer uses only events announced at or before it; {@code null} = everything
 * @param jurisdiction where the caller is, or {@code null} (then every policy applies)
 * @param rule         the rule that decided
 * @param policies     the policies considered, in the order they were considered
 */
public record AccessExplanation(Instant at, Instant asOf, String jurisdiction, Rule rule,
        List<PolicyConsidered> policies) {

    public AccessExplanation {
        policies = List.copyOf(policies);
    }

    /** The four ways a decision is reached, each with the sentence that states it. */
    public enum Rule {
        RESTRICTION_IN_FORCE("a restriction in force that does not exempt the caller denies access;"
                + " of several, the one that ends last decides"),
        EXEMPTION("every restriction in force exempts the caller: allowed until the exemption or the restriction ends"),
        NEXT_RESTRICTION("no restriction is in force: allowed until the earliest one that starts later"),
        NO_RESTRICTION("no policy restricts the caller at this instant or later: allowed");

        private final String text;

        Rule(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** What a policy did in this decision. */
    public enum Role {
        /** It gave the answer (its id is the decision's policyId). */
        DECIDED,
        /** It restricts the caller at the instant, but another restriction ends later. */
        RESTRICTS,
        /** It restricts the segment at the instant, but the caller holds an exemption. */
        EXEMPTS,
        /** It starts after the instant (and another one starts earlier, or one is in force). */
        STARTS_LATER,
        /** It covers the caller but is not in force at the instant, before or after. */
        NOT_IN_FORCE,
        /** It does not name the caller's segment. */
        SEGMENT_NOT_COVERED,
        /** It holds in a jurisdiction the caller is not in. */
        JURISDICTION_DOES_NOT_APPLY
    }

    /**
     * @param jurisdictionApplies whether the policy holds where the caller is (always, without a jurisdiction on either side)
     * @param statusAt            the policy's status at the instant, from its interval
     * @param inForceAt           whether its interval contains the instant
     * @param exemption           the exemption check, or {@code null} when no exemption could matter (segment or jurisdiction not covered)
     */
    public record PolicyConsidered(String policyId, PolicyKind kind, List<String> segments, boolean coversSegment,
            String jurisdiction, boolean jurisdictionApplies, Instant effectiveFrom, Instant effectiveUntil,
            PolicyStatus statusAt, boolean inForceAt, ExemptionCheck exemption, Role role) {

        public PolicyConsidered {
            segments = List.copyOf(segments);
        }
    }

    /**
     * The exemption that matched, or why none did.
     *
     * @param matched   whether the caller holds an exemption from this policy at the instant
     * @param organization the exemption's organization as announced, or the caller's when none matched
     * @param grantedAt {@code null} when it was named in the announcement
     * @param why       one sentence
     */
    public record ExemptionCheck(boolean matched, String organization, String purpose, Instant grantedAt,
            Instant revokedAt, String why) {
    }
}
