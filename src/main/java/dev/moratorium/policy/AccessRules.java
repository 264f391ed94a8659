package dev.moratorium.policy;

import java.time.Instant;
import java.util.Collection;

/**
 * Decides access for a caller (segment, optional organization) to one vendor's product at an
 * instant, from the policies on that product. Restriction intervals and exemption intervals are
 * both honoured, so a decision about a past instant is what was in force then.
 */
public final class AccessRules {

    private AccessRules() {
    }

    /** Appended to a reason when the caller gave no jurisdiction and a policy with one decided. */
    static final String EVERY_JURISDICTION = "; no jurisdiction given, so policies of every jurisdiction apply";

    /** The decision of contract v1: a caller without a jurisdiction, to whom every policy applies. */
    public static AccessDecision decide(Collection<Policy> policies, String segment, String organization, Instant at) {
        return decide(policies, segment, organization, null, at);
    }

    /**
     * Whether {@link #decide} reads this policy's exemptions: only when it covers the caller's
     * segment and jurisdiction and restricts at the instant. A reader that keeps some policies
     * without their exemptions fetches only these.
     */
    public static boolean readsExemptions(Policy p, String segment, String jurisdiction, Instant at) {
        return p.coversSegmentKey(Names.key(segment)) && Jurisdictions.applies(p.jurisdiction(), jurisdiction)
                && p.restrictsAt(at);
    }

    /**
     * Gateways call this for every request they serve, so it is written as plain loops over the
     * (few) policies of one product, with the caller's names case-folded once.
     *
     * @param policies     the policies on the asked vendor and product (any status)
     * @param jurisdiction where the caller is ({@link Jurisdictions}), or {@code null}: then every
     *                     policy applies, and a reason given by a policy with a jurisdiction says so
     */
    public static AccessDecision decide(Collection<Policy> policies, String segment, String organization,
            String jurisdiction, Instant at) {
        String segmentKey = Names.key(segment);
        String organizationKey = Names.key(organization);
        // Ties are broken by the policies' own fields, never by their order in the collection: the
        // service's index and a gateway client's view list a product's policies in different orders
        // (load order, topic partitions), and both must name the same policy (GatewayClientEquivalenceTest).
        Policy decisive = null; // the restricting policy, not exempted, that restricts longest
        Policy exempting = null; // when every restricting policy exempts the caller: the exemption that ends first
        Exemption exemption = null;
        Policy next = null; // the earliest policy that starts after the instant
        for (Policy p : policies) {
            if (!p.coversSegmentKey(segmentKey) || !Jurisdictions.applies(p.jurisdiction(), jurisdiction)) {
                continue;
            }
            if (p.restrictsAt(at)) {
                Exemption held = organizationKey == null ? null : p.exemptionHeldAtKey(organizationKey, at);
                if (held == null) {
                    if (decisive == null || restrictsLonger(p, decisive)) {
                        decisive = p;
                    }
                } else if (exempting == null || endsFirst(p, held, exempting, exemption)) {
                    exempting = p;
                    exemption = held;
                }
            } else if (p.effectiveFrom().isAfter(at)
                    && (p.effectiveUntil() == null || p.effectiveUntil().isAfter(p.effectiveFrom()))
                    && (next == null || startsFirst(p, next))) {
                next = p;
            }
        }
        if (decisive != null) {
            return new AccessDecision(false, decisive.policyId(),
                    deniedBecause(decisive, segmentKey) + everywhere(decisive, jurisdiction), decisive.effectiveUntil());
        }
        if (exempting != null) {
            String purpose = exemption.purpose() == null || exemption.purpose().isBlank() ? ""
                    : " (" + Names.inSentence(exemption.purpose()) + ")";
            Instant until = earliest(exemption.revokedAt(), exempting.effectiveUntil());
            return new AccessDecision(true, exempting.policyId(), Names.inSentence(exemption.organization()) + " is exempt from "
                    + describe(exempting) + purpose + everywhere(exempting, jurisdiction), until);
        }
        if (next != null) {
            return new AccessDecision(true, next.policyId(), "no restriction in force; " + describe(next) + " starts on "
                    + TimeText.of(next.effectiveFrom()) + everywhere(next, jurisdiction), next.effectiveFrom());
        }
        return new AccessDecision(true, null, "no restriction applies", null);
    }

    /**
     * A caller who gave no jurisdiction is told when a policy of one jurisdiction decided: the
     * answer may not hold where the caller is. Empty otherwise, so v1 answers stay byte for byte.
     */
    private static String everywhere(Policy decided, String jurisdiction) {
        return jurisdiction == null && decided.jurisdiction() != null ? EVERY_JURISDICTION : "";
    }

    /**
     * The segment is named as the policy spells it, as every name in the service's texts is, never
     * as the caller asked: {@code POLICE\u200b} and {@code ｐｏｌｉｃｅ} are the policy's "police", and
     * what a caller typed (hidden characters included) is not echoed into the answer. A policy on
     * everyone says "All", as its notification does.
     */
    private static String deniedBecause(Policy p, String segmentKey) {
        if (p.isWithdrawal()) {
            return NotificationMessages.vendorProduct(p) + " was withdrawn from " + TimeText.of(p.effectiveFrom())
                    + " (" + p.policyId() + ")";
        }
        String spelled = p.segmentSpelled(segmentKey);
        return (spelled == null ? "All" : capitalize(Names.inSentence(spelled))) + " access to "
                + NotificationMessages.vendorProduct(p) + " is suspended from "
                + TimeText.of(p.effectiveFrom()) + (p.effectiveUntil() == null ? " until further notice"
                        : " until " + TimeText.of(p.effectiveUntil())) + " (" + p.policyId() + ")";
    }

    private static String describe(Policy p) {
        return (p.isWithdrawal() ? "withdrawal " : "moratorium ") + p.policyId();
    }

    private static Instant endOrMax(Policy p) {
        return p.effectiveUntil() == null ? Instant.MAX : p.effectiveUntil();
    }

    /** Ends later; on the same end, started earlier; then the smaller policyId. */
    private static boolean restrictsLonger(Policy p, Policy current) {
        int byEnd = endOrMax(p).compareTo(endOrMax(current));
        if (byEnd != 0) {
            return byEnd > 0;
        }
        int byStart = p.effectiveFrom().compareTo(current.effectiveFrom());
        return byStart != 0 ? byStart < 0 : p.policyId().compareTo(current.policyId()) < 0;
    }

    /** The exemption's answer holds for a shorter time (its revocation or the policy's end); then the smaller policyId. */
    private static boolean endsFirst(Policy p, Exemption held, Policy current, Exemption currentHeld) {
        Instant end = earliest(held.revokedAt(), p.effectiveUntil());
        Instant currentEnd = earliest(currentHeld.revokedAt(), current.effectiveUntil());
        int byEnd = (end == null ? Instant.MAX : end).compareTo(currentEnd == null ? Instant.MAX : currentEnd);
        return byEnd != 0 ? byEnd < 0 : p.policyId().compareTo(current.policyId()) < 0;
    }

    /** Starts earlier; on the same start, the smaller policyId. */
    private static boolean startsFirst(Policy p, Policy current) {
        int byStart = p.effectiveFrom().compareTo(current.effectiveFrom());
        return byStart != 0 ? byStart < 0 : p.policyId().compareTo(current.policyId()) < 0;
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }

    private static String capitalize(String s) {
        return s == null || s.isEmpty() ? "" : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
