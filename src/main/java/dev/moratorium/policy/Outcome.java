package dev.moratorium.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * What applying an event or the clock produced: the new state, the notifications in the order
 * they happened, and each visible state the policy passed through (for {@code moratorium-state}).
 */
public record Outcome(Policy state, List<Notification> notifications, List<Policy> stateChanges) {

    public Outcome {
        notifications = List.copyOf(notifications);
        stateChanges = List.copyOf(stateChanges);
    }

    public static Outcome unchanged(Policy state) {
        return new Outcome(state, List.of(), List.of());
    }

    public static Outcome changed(Policy state, Notification notification) {
        return new Outcome(state, List.of(notification), List.of(state));
    }

    public boolean isEmpty() {
        return notifications.isEmpty() && stateChanges.isEmpty();
    }

    /** This outcome followed by the next one; the state is the next one's. */
    public Outcome then(Outcome next) {
        List<Notification> n = new ArrayList<>(notifications);
        n.addAll(next.notifications);
        List<Policy> s = new ArrayList<>(stateChanges);
        s.addAll(next.stateChanges);
        return new Outcome(next.state, n, s);
    }
}
