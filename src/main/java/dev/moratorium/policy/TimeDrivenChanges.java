package dev.moratorium.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the passing of time does to a policy: reaching {@code effectiveFrom} (a silent status
 * change), reaching {@code effectiveUntil} ({@code access.restored}) and reminders before the end
 * ({@code access.expiry-approaching}), applied in time order.
 *
 * <p>A reminder is sent when its moment lies after {@code evaluatedAt} (the last instant the
 * policy was brought up to date) and the end has not passed: so a reminder is sent once, and a
 * reminder whose moment had already passed when an event arrived is never sent. When the service
 * was away across several reminder moments, only the latest (the shortest lead) is sent.
 */
public final class TimeDrivenChanges {

    private final List<Duration> reminderLeads;

    public TimeDrivenChanges(List<Duration> reminderLeads) {
        for (Duration lead : reminderLeads) {
            if (lead.isNegative() || lead.isZero()) {
                throw new IllegalArgumentException("a reminder lead time must be positive: " + lead);
            }
        }
        this.reminderLeads = reminderLeads.stream().sorted(Comparator.reverseOrder()).distinct().toList();
    }

    public List<Duration> reminderLeads() {
        return reminderLeads;
    }

    /** Brings the policy up to {@code now}. */
    public Outcome advance(Policy policy, Instant now) {
        Outcome outcome = Outcome.unchanged(policy);
        Policy state = policy;
        if (state.status() == PolicyStatus.SCHEDULED && !state.effectiveFrom().isAfter(now)
                && !startsEmpty(state)) {
            state = state.withStatus(state.isWithdrawal() ? PolicyStatus.WITHDRAWN : PolicyStatus.ACTIVE);
            outcome = outcome.then(new Outcome(state, List.of(), List.of(state)));
        }
        Optional<Reminder> reminder = dueReminder(state, now);
        if (reminder.isPresent()) {
            Reminder r = reminder.get();
            outcome = outcome.then(new Outcome(state, List.of(new Notification(
                    NotificationIds.reminder(state.policyId(), state.effectiveUntil(), r.lead()),
                    NotificationType.EXPIRY_APPROACHING, state, Notification.CLOCK, r.moment(),
                    NotificationMessages.expiryApproaching(state, r.lead()))), List.of()));
        }
        if (isOpenMoratorium(state) && state.effectiveUntil() != null && !state.effectiveUntil().isAfter(now)) {
            state = state.withStatus(state.liftedAt() != null ? PolicyStatus.LIFTED : PolicyStatus.EXPIRED);
            outcome = outcome.then(Outcome.changed(state, new Notification(
                    NotificationIds.causedByClock(state.policyId(), NotificationType.ACCESS_RESTORED,
                            state.effectiveUntil()),
                    NotificationType.ACCESS_RESTORED, state, Notification.CLOCK, state.effectiveUntil(),
                    NotificationMessages.restored(state))));
        }
        Policy evaluated = outcome.state().withEvaluatedAt(now);
        return new Outcome(evaluated, outcome.notifications(), outcome.stateChanges());
    }

    /** The next instant at which {@link #advance} would change something, if any. */
    public Optional<Instant> nextDueAt(Policy policy) {
        List<Instant> candidates = new ArrayList<>();
        if (policy.status() == PolicyStatus.SCHEDULED) {
            candidates.add(policy.effectiveFrom());
        }
        if (isOpenMoratorium(policy) && policy.effectiveUntil() != null) {
            candidates.add(policy.effectiveUntil());
            for (Duration lead : reminderLeads) {
                Instant moment = policy.effectiveUntil().minus(lead);
                if (policy.evaluatedAt() == null || moment.isAfter(policy.evaluatedAt())) {
                    candidates.add(moment);
                }
            }
        }
        return candidates.stream().min(Comparator.naturalOrder());
    }

    private Optional<Reminder> dueReminder(Policy state, Instant now) {
        if (!isOpenMoratorium(state) || state.effectiveUntil() == null || !state.effectiveUntil().isAfter(now)) {
            return Optional.empty();
        }
        Reminder latest = null;
        for (Duration lead : reminderLeads) { // longest lead first, so the last due one is the latest
            Instant moment = state.effectiveUntil().minus(lead);
            boolean due = !moment.isAfter(now) && (state.evaluatedAt() == null || moment.isAfter(state.evaluatedAt()));
            if (due) {
                latest = new Reminder(lead, moment);
            }
        }
        return Optional.ofNullable(latest);
    }

    private static boolean isOpenMoratorium(Policy p) {
        return !p.isWithdrawal() && (p.status() == PolicyStatus.SCHEDULED || p.status() == PolicyStatus.ACTIVE);
    }

    /** A moratorium lifted before it began never becomes ACTIVE. */
    private static boolean startsEmpty(Policy p) {
        return p.effectiveUntil() != null && !p.effectiveUntil().isAfter(p.effectiveFrom());
    }

    private record Reminder(Duration lead, Instant moment) {
    }
}
