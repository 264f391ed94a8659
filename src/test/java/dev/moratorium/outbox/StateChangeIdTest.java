package dev.moratorium.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.Notification;
import dev.moratorium.policy.NotificationIds;
import dev.moratorium.policy.NotificationType;
import dev.moratorium.policy.Outcome;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.wire.WireJson;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The ce_id of state records: deterministic for the same change, different for different changes. */
class StateChangeIdTest {

    private static final Instant FROM = Instant.parse("2020-06-10T00:00:00Z");
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    private static Policy policy(PolicyStatus status, Instant until) {
        return new Policy("amazon-rekognition-police-2020", PolicyKind.MORATORIUM, "Amazon", "Rekognition",
                List.of("police"), status, FROM, until, null, List.of(), null, null, null, NOW);
    }

    private static Outcome announced(String eventId, Policy state) {
        return Outcome.changed(state, new Notification(
                NotificationIds.causedByEvent(eventId, NotificationType.ACCESS_SUSPENDED),
                NotificationType.ACCESS_SUSPENDED, state, eventId, FROM, "suspended"));
    }

    private static Outcome silent(Policy state) {
        return new Outcome(state, List.of(), List.of(state));
    }

    private static String id(Outcome outcome, Instant decidedAt) {
        return OutboxWriter.stateChangeId(outcome, WireJson.bytes(WireJson.state(outcome.state())), decidedAt);
    }

    @Test
    void theSameChangeGetsTheSameNameBasedUuidWheneverItIsDecided() {
        Policy active = policy(PolicyStatus.ACTIVE, null);
        String first = id(announced("e-1", active), NOW);
        assertThat(id(announced("e-1", active), NOW.plusSeconds(30))).isEqualTo(first);
        assertThat(UUID.fromString(first).version()).isEqualTo(3);
    }

    @Test
    void anotherEventOrAnotherStateGetsAnotherId() {
        Policy active = policy(PolicyStatus.ACTIVE, null);
        String first = id(announced("e-1", active), NOW);
        assertThat(id(announced("e-2", active), NOW)).isNotEqualTo(first);
        assertThat(id(announced("e-1", policy(PolicyStatus.ACTIVE, Instant.parse("2021-06-10T00:00:00Z"))), NOW))
                .isNotEqualTo(first);
    }

    @Test
    void aChangeWithoutNotificationAlsoNamesTheInstantItWasDecided() {
        // A lift announced for later, extended, then lifted to the same end again: the same state
        // twice, two changes.
        Policy liftedLater = policy(PolicyStatus.ACTIVE, Instant.parse("2021-01-01T00:00:00Z"));
        assertThat(id(silent(liftedLater), NOW)).isNotEqualTo(id(silent(liftedLater), NOW.plusSeconds(60)));
        assertThat(id(silent(liftedLater), NOW)).isEqualTo(id(silent(liftedLater), NOW));
    }
}
