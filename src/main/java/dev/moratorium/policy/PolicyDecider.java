package dev.moratorium.policy;

import dev.moratorium.policy.PolicyEvent.ExemptionGranted;
import dev.moratorium.policy.PolicyEvent.ExemptionRevoked;
import dev.moratorium.policy.PolicyEvent.MoratoriumAnnounced;
import dev.moratorium.policy.PolicyEvent.MoratoriumExtended;
import dev.moratorium.policy.PolicyEvent.MoratoriumLifted;
import dev.moratorium.policy.PolicyEvent.ProductWithdrawn;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The rules of CONTRACT.md §1 that need the current state: {@code decide(state, event, now)} is
 * either a rejection or the new state with its notifications. Pure: no I/O, no framework, no clock
 * of its own.
 *
 * <p>Before an event acts on a policy, the policy is first brought up to {@code now}, so an event
 * never acts on a moratorium that has in fact already ended, and the time-driven notifications come
 * before the event's own (in time order).
 */
public final class PolicyDecider {

    private final TimeDrivenChanges time;
    /** Whether the exemption limits are checked: they are admission rules of a write (see {@link #replaying()}). */
    private final boolean admits;
    private final PolicyDecider replaying;

    public PolicyDecider(TimeDrivenChanges time) {
        this.time = time;
        this.admits = true;
        this.replaying = new PolicyDecider(this);
    }

    private PolicyDecider(PolicyDecider admitting) {
        this.time = admitting.time;
        this.admits = false;
        this.replaying = this;
    }

    /**
     * The same rules for a history the service already applied (as-of replays, their checkpoints),
     * without {@link ExemptionLimits}. Those limits decide whether a write is taken, against the state
     * it meets; a replay as known at an instant leaves out the events not yet known then, so a
     * recorded grant can meet a state the service never held (an exemption whose revocation is
     * dated later, applied before it), and checked again, the limit would drop a grant that was in
     * force. A policy stored before the limits existed replays whole too. Every other rule holds
     * either way: it reads only what the replay is asked about (an interval, an end, an exemption
     * held), so it skips, as it should, an event whose premise was not yet known.
     */
    public PolicyDecider replaying() {
        return replaying;
    }

    public TimeDrivenChanges time() {
        return time;
    }

    /**
     * @param current the policy the event names, or empty if it was never announced
     * @param now     the service clock
     */
    public Decision decide(Optional<Policy> current, PolicyEvent event, Instant now) {
        if (event.type().createsPolicy()) {
            if (current.isPresent()) {
                return Decision.rejected(RejectionReason.DUPLICATE_POLICY,
                        "policy \"" + event.policyId() + "\" already exists");
            }
            return event instanceof MoratoriumAnnounced a ? announce(a, now) : withdraw((ProductWithdrawn) event, now);
        }
        if (current.isEmpty()) {
            return Decision.rejected(RejectionReason.UNKNOWN_POLICY,
                    "no policy \"" + event.policyId() + "\" has been announced");
        }
        Outcome caughtUp = time.advance(current.get(), now);
        Policy state = caughtUp.state();
        Optional<String> closed = closedBecause(state);
        if (closed.isPresent()) {
            return Decision.rejected(RejectionReason.POLICY_CLOSED, closed.get());
        }
        Decision decision = act(state, event, now);
        if (decision instanceof Decision.Applied applied) {
            return Decision.applied(caughtUp.then(applied.outcome()));
        }
        return decision;
    }

    private Decision act(Policy state, PolicyEvent event, Instant now) {
        if (event instanceof MoratoriumExtended e) {
            return extend(state, e);
        } else if (event instanceof MoratoriumLifted l) {
            return lift(state, l, now);
        } else if (event instanceof ExemptionGranted g) {
            return grant(state, g);
        } else if (event instanceof ExemptionRevoked r) {
            return revoke(state, r);
        }
        throw new IllegalStateException("not an event that acts on a policy: " + event.type());
    }

    /** {@code effectiveUntil} must be after {@code effectiveFrom}; empty when it is. */
    public static Optional<String> intervalProblem(Instant effectiveFrom, Instant effectiveUntil) {
        if (effectiveUntil != null && !effectiveUntil.isAfter(effectiveFrom)) {
            return Optional.of("effectiveUntil " + TimeText.of(effectiveUntil) + " is not after effectiveFrom "
                    + TimeText.of(effectiveFrom));
        }
        return Optional.empty();
    }

    private Decision announce(MoratoriumAnnounced a, Instant now) {
        Optional<String> interval = intervalProblem(a.effectiveFrom(), a.effectiveUntil());
        if (interval.isPresent()) {
            return Decision.rejected(RejectionReason.INVALID_INTERVAL, interval.get());
        }
        List<Exemption> exemptions = a.exemptions().stream()
                .map(g -> Exemption.fromStart(g.organization(), g.purpose())).toList();
        Policy created = new Policy(a.policyId(), PolicyKind.MORATORIUM, a.vendor(), a.product(), a.segments(),
                PolicyStatus.SCHEDULED, a.effectiveFrom(), a.effectiveUntil(), null, exemptions, a.jurisdiction(),
                a.reason(), a.sourceUrl(), now);
        Optional<String> limit = admits ? ExemptionLimits.problem(null, created, "data.exemptions") : Optional.empty();
        if (limit.isPresent()) {
            return Decision.rejected(RejectionReason.INVALID_FIELD, limit.get());
        }
        return create(created, a, NotificationType.ACCESS_SUSPENDED, now);
    }

    private Decision withdraw(ProductWithdrawn w, Instant now) {
        Policy created = new Policy(w.policyId(), PolicyKind.WITHDRAWAL, w.vendor(), w.product(), w.segments(),
                PolicyStatus.SCHEDULED, w.effectiveFrom(), null, null, List.of(), null, w.reason(), w.sourceUrl(),
                now);
        return create(created, w, NotificationType.ACCESS_WITHDRAWN, now);
    }

    /**
     * The announcement's notification reports the policy as it stands once its start is applied
     * (ACTIVE if {@code effectiveFrom} has passed); later boundaries follow as their own changes.
     */
    private Decision create(Policy created, PolicyEvent event, NotificationType type, Instant now) {
        Policy started = created;
        if (!created.effectiveFrom().isAfter(now)) {
            started = created.withStatus(created.isWithdrawal() ? PolicyStatus.WITHDRAWN : PolicyStatus.ACTIVE);
        }
        String message = type == NotificationType.ACCESS_WITHDRAWN
                ? NotificationMessages.withdrawn(started) : NotificationMessages.suspended(started);
        Outcome announced = Outcome.changed(started, notification(event, type, started, message));
        return Decision.applied(announced.then(time.advance(started, now)));
    }

    private Decision extend(Policy state, MoratoriumExtended e) {
        Optional<String> interval = intervalProblem(state.effectiveFrom(), e.effectiveUntil());
        if (interval.isPresent()) {
            return Decision.rejected(RejectionReason.INVALID_INTERVAL, interval.get());
        }
        Instant previous = state.effectiveUntil();
        String id = state.policyId();
        if (previous == null) {
            return Decision.rejected(RejectionReason.NOT_AN_EXTENSION, "policy \"" + id
                    + "\" already holds until further notice; it cannot be extended to "
                    + (e.effectiveUntil() == null ? "until further notice" : TimeText.of(e.effectiveUntil())));
        }
        if (e.effectiveUntil() != null && !e.effectiveUntil().isAfter(previous)) {
            return Decision.rejected(RejectionReason.NOT_AN_EXTENSION, "policy \"" + id + "\" ends on "
                    + TimeText.of(previous) + "; an extension must end later, not on " + TimeText.of(e.effectiveUntil()));
        }
        // An extension supersedes a lift that was scheduled for later: the newest word wins.
        Policy extended = state.withEnd(e.effectiveUntil(), null);
        return Decision.applied(Outcome.changed(extended, notification(e, NotificationType.SUSPENSION_EXTENDED,
                extended, NotificationMessages.extended(extended, previous))));
    }

    private Decision lift(Policy state, MoratoriumLifted l, Instant now) {
        Instant at = l.effectiveAt();
        if (state.effectiveUntil() != null && !at.isBefore(state.effectiveUntil())) {
            return Decision.rejected(RejectionReason.INVALID_INTERVAL, "policy \"" + state.policyId()
                    + "\" already ends on " + TimeText.of(state.effectiveUntil()) + "; a lift on " + TimeText.of(at)
                    + " would change nothing");
        }
        Instant newUntil = at.isBefore(state.effectiveFrom()) ? state.effectiveFrom() : at;
        Policy lifted = state.withEnd(newUntil, at);
        if (at.isAfter(now)) {
            // A lift announced for later: the state shows the new end now, access.restored follows at that moment.
            return Decision.applied(new Outcome(lifted, List.of(), List.of(lifted)));
        }
        lifted = lifted.withStatus(PolicyStatus.LIFTED);
        return Decision.applied(Outcome.changed(lifted, notification(l, NotificationType.ACCESS_RESTORED, lifted,
                NotificationMessages.restored(lifted))));
    }

    private Decision grant(Policy state, ExemptionGranted g) {
        Optional<Exemption> existing = state.activeExemptionFor(g.organization());
        if (existing.isPresent() && equalsOrBothBlank(existing.get().purpose(), g.purpose())) {
            return Decision.applied(Outcome.unchanged(state)); // already granted as stated: changes nothing
        }
        Exemption exemption = existing
                .map(e -> new Exemption(e.organization(), g.purpose(), e.grantedAt(), null))
                .orElse(new Exemption(g.organization(), g.purpose(), g.meta().time(), null));
        Policy granted = state.withExemption(exemption);
        Optional<String> limit = admits
                ? ExemptionLimits.problem(state, granted, "data.organization \"" + g.organization() + "\"")
                : Optional.empty();
        if (limit.isPresent()) {
            return Decision.rejected(RejectionReason.INVALID_FIELD, limit.get());
        }
        return Decision.applied(Outcome.changed(granted, notification(g, NotificationType.EXEMPTION_GRANTED,
                granted, NotificationMessages.exemptionGranted(granted, exemption))));
    }

    private Decision revoke(Policy state, ExemptionRevoked r) {
        Optional<Exemption> existing = state.activeExemptionFor(r.organization());
        if (existing.isEmpty()) {
            return Decision.rejected(RejectionReason.INVALID_FIELD, "organization \"" + r.organization()
                    + "\" holds no exemption from policy \"" + state.policyId() + "\"");
        }
        Exemption held = existing.get();
        Instant at = held.grantedAt() != null && r.meta().time().isBefore(held.grantedAt())
                ? held.grantedAt() : r.meta().time();
        Exemption revoked = held.revokedAt(at);
        List<Exemption> updated = state.exemptions().stream().map(e -> e == held ? revoked : e).toList();
        Policy after = state.withExemptions(updated);
        return Decision.applied(Outcome.changed(after, notification(r, NotificationType.EXEMPTION_REVOKED, after,
                NotificationMessages.exemptionRevoked(after, held))));
    }

    private static Optional<String> closedBecause(Policy state) {
        if (state.isWithdrawal()) {
            return Optional.of("policy \"" + state.policyId() + "\" is a product withdrawal, which is final");
        }
        return switch (state.status()) {
            case EXPIRED -> Optional.of("policy \"" + state.policyId() + "\" already ended: it expired on "
                    + TimeText.of(state.effectiveUntil()));
            case LIFTED -> Optional.of("policy \"" + state.policyId() + "\" already ended: it was lifted on "
                    + TimeText.of(state.liftedAt()));
            default -> Optional.empty();
        };
    }

    private static Notification notification(PolicyEvent event, NotificationType type, Policy after, String message) {
        return new Notification(NotificationIds.causedByEvent(event.meta().id(), type), type, after,
                event.meta().id(), event.meta().time(), message);
    }

    private static boolean equalsOrBothBlank(String a, String b) {
        boolean aBlank = a == null || a.isBlank();
        boolean bBlank = b == null || b.isBlank();
        return aBlank && bBlank || a != null && a.equals(b);
    }
}
