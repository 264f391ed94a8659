package dev.moratorium.policy;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Decides access for a caller (segment, optional organization) to one vendor's product at an
 * instant, from the policies on that product. Restriction intervals and exemption intervals are
 * both honoured, so a decision about a past instant is what was in force then.
 */
public final class AccessRules {

    private AccessRules() {
    }

    /** @param policies the policies on the asked vendor and product (any status) */
    public static AccessDecision decide(Collection<Policy> policies, String segment, String organization, Instant at) {
        List<Policy> relevant = policies.stream().filter(p -> p.coversSegment(segment)).toList();
        List<Policy> restricting = relevant.stream().filter(p -> p.restrictsAt(at)).toList();
        List<Policy> denying = restricting.stream()
                .filter(p -> organization == null || p.exemptionHeldAt(organization, at).isEmpty()).toList();
        if (!denying.isEmpty()) {
            Policy decisive = denying.stream().max(Comparator.comparing(AccessRules::endOrMax)).orElseThrow();
            return new AccessDecision(false, decisive.policyId(), deniedBecause(decisive, segment),
                    decisive.effectiveUntil());
        }
        if (!restricting.isEmpty()) {
            Policy exempting = restricting.get(0);
            Exemption exemption = exempting.exemptionHeldAt(organization, at).orElseThrow();
            String purpose = exemption.purpose() == null || exemption.purpose().isBlank() ? ""
                    : " (" + exemption.purpose() + ")";
            Instant until = earliest(exemption.revokedAt(), exempting.effectiveUntil());
            return new AccessDecision(true, exempting.policyId(), exemption.organization() + " is exempt from "
                    + describe(exempting) + purpose, until);
        }
        Optional<Policy> next = relevant.stream().filter(p -> p.effectiveFrom().isAfter(at)
                && (p.effectiveUntil() == null || p.effectiveUntil().isAfter(p.effectiveFrom())))
                .min(Comparator.comparing(Policy::effectiveFrom));
        if (next.isPresent()) {
            Policy p = next.get();
            return new AccessDecision(true, p.policyId(), "no restriction in force; " + describe(p) + " starts on "
                    + TimeText.of(p.effectiveFrom()), p.effectiveFrom());
        }
        return new AccessDecision(true, null, "no restriction applies", null);
    }

    private static String deniedBecause(Policy p, String segment) {
        if (p.isWithdrawal()) {
            return p.vendor() + " " + p.product() + " was withdrawn from " + TimeText.of(p.effectiveFrom())
                    + " (" + p.policyId() + ")";
        }
        return capitalize(segment) + " access to " + p.vendor() + " " + p.product() + " is suspended from "
                + TimeText.of(p.effectiveFrom()) + (p.effectiveUntil() == null ? " until further notice"
                        : " until " + TimeText.of(p.effectiveUntil())) + " (" + p.policyId() + ")";
    }

    private static String describe(Policy p) {
        return (p.isWithdrawal() ? "withdrawal " : "moratorium ") + p.policyId();
    }

    private static Instant endOrMax(Policy p) {
        return p.effectiveUntil() == null ? Instant.MAX : p.effectiveUntil();
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
