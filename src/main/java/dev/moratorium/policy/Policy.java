package dev.moratorium.policy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole state of one policy: what is restricted, for whom, when, and who is exempt.
 *
 * <p>The restriction holds on {@code [effectiveFrom, effectiveUntil)}; {@code effectiveUntil} is
 * {@code null} for "until further notice". A lift moves {@code effectiveUntil} to the lift's moment
 * and records it in {@code liftedAt}, so that subscribers of {@code moratorium-state} can always
 * answer "is access restricted at t" from the interval alone.
 *
 * <p>{@code evaluatedAt} is the service-clock instant up to which time-driven changes have been
 * applied: reminders due at or before it are never sent again.
 */
public record Policy(
        String policyId,
        PolicyKind kind,
        String vendor,
        String product,
        List<String> segments,
        PolicyStatus status,
        Instant effectiveFrom,
        Instant effectiveUntil,
        Instant liftedAt,
        List<Exemption> exemptions,
        String jurisdiction,
        String reason,
        String sourceUrl,
        Instant evaluatedAt) {

    public Policy {
        Objects.requireNonNull(policyId, "policyId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(effectiveFrom, "effectiveFrom");
        segments = List.copyOf(segments);
        exemptions = List.copyOf(exemptions);
    }

    public boolean isWithdrawal() {
        return kind == PolicyKind.WITHDRAWAL;
    }

    /** Is access restricted at this instant (ignoring exemptions)? */
    public boolean restrictsAt(Instant instant) {
        return !instant.isBefore(effectiveFrom) && (effectiveUntil == null || instant.isBefore(effectiveUntil));
    }

    /**
     * The status the policy has at this instant, read from its interval alone (the stored
     * {@code status} is where the service clock brought it): what an explanation or a policy "as
     * known by" a past day shows, whatever the clock says today.
     */
    public PolicyStatus statusAt(Instant instant) {
        if (isWithdrawal()) {
            return instant.isBefore(effectiveFrom) ? PolicyStatus.SCHEDULED : PolicyStatus.WITHDRAWN;
        }
        if (effectiveUntil != null && !instant.isBefore(effectiveUntil)) {
            return liftedAt != null ? PolicyStatus.LIFTED : PolicyStatus.EXPIRED;
        }
        if (liftedAt != null && !instant.isBefore(liftedAt)) {
            return PolicyStatus.LIFTED; // lifted before it began: it never becomes ACTIVE
        }
        return instant.isBefore(effectiveFrom) ? PolicyStatus.SCHEDULED : PolicyStatus.ACTIVE;
    }

    public boolean coversSegment(String segment) {
        return coversSegmentKey(Names.key(segment));
    }

    /** @param segmentKey the segment's {@link Names#key} */
    public boolean coversSegmentKey(String segmentKey) {
        for (String s : segments) {
            if (s.equals(Names.EVERYONE) || Names.key(s).equals(segmentKey)) {
                return true;
            }
        }
        return false;
    }

    /** This policy's spelling of the segment with this key, or {@code null} when it covers it only as everyone. */
    public String segmentSpelled(String segmentKey) {
        for (String s : segments) {
            if (!s.equals(Names.EVERYONE) && Names.key(s).equals(segmentKey)) {
                return s;
            }
        }
        return null;
    }

    public boolean coversEveryone() {
        return segments.contains(Names.EVERYONE);
    }

    public List<Exemption> activeExemptions() {
        return exemptions.stream().filter(e -> !e.isRevoked()).toList();
    }

    public Optional<Exemption> activeExemptionFor(String organization) {
        return exemptions.stream().filter(e -> !e.isRevoked() && e.isFor(organization)).findFirst();
    }

    public Optional<Exemption> exemptionHeldAt(String organization, Instant instant) {
        return organization == null ? Optional.empty()
                : Optional.ofNullable(exemptionHeldAtKey(Names.key(organization), instant));
    }

    /** @param organizationKey the organization's {@link Names#key}; the first exemption held, or {@code null} */
    public Exemption exemptionHeldAtKey(String organizationKey, Instant instant) {
        for (Exemption e : exemptions) {
            if (e.heldAt(instant) && organizationKey.equals(Names.key(e.organization()))) {
                return e;
            }
        }
        return null;
    }

    public Policy withStatus(PolicyStatus newStatus) {
        return new Policy(policyId, kind, vendor, product, segments, newStatus, effectiveFrom, effectiveUntil,
                liftedAt, exemptions, jurisdiction, reason, sourceUrl, evaluatedAt);
    }

    public Policy withEnd(Instant newUntil, Instant newLiftedAt) {
        return new Policy(policyId, kind, vendor, product, segments, status, effectiveFrom, newUntil,
                newLiftedAt, exemptions, jurisdiction, reason, sourceUrl, evaluatedAt);
    }

    public Policy withExemptions(List<Exemption> newExemptions) {
        return new Policy(policyId, kind, vendor, product, segments, status, effectiveFrom, effectiveUntil,
                liftedAt, newExemptions, jurisdiction, reason, sourceUrl, evaluatedAt);
    }

    /**
     * A copy with only the exemptions of this organization (by {@link Names#key}), none when it is
     * {@code null}: all an access decision or its explanation reads of the policy for that caller
     * ({@link AccessRules}, {@link AccessExplainer}), so a reader of many policies at the exemption
     * limits can hold each one so (as-of reads of a product).
     */
    public Policy withExemptionsOnlyOf(String organization) {
        String key = organization == null ? null : Names.key(organization);
        List<Exemption> of = key == null ? List.of()
                : exemptions.stream().filter(e -> key.equals(Names.key(e.organization()))).toList();
        return of.size() == exemptions.size() ? this : withExemptions(of);
    }

    public Policy withEvaluatedAt(Instant instant) {
        return new Policy(policyId, kind, vendor, product, segments, status, effectiveFrom, effectiveUntil,
                liftedAt, exemptions, jurisdiction, reason, sourceUrl, instant);
    }

    /** A copy with the exemption for this organization replaced or added. */
    public Policy withExemption(Exemption exemption) {
        List<Exemption> updated = new ArrayList<>(exemptions.size() + 1);
        for (Exemption e : exemptions) {
            if (!(e.isFor(exemption.organization()) && !e.isRevoked())) {
                updated.add(e);
            }
        }
        updated.add(exemption);
        return withExemptions(updated);
    }
}
