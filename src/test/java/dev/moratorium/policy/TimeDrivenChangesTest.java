package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.AMAZON_ID;
import static dev.moratorium.policy.PolicyFixtures.AMAZON_RESTORED;
import static dev.moratorium.policy.PolicyFixtures.FROM;
import static dev.moratorium.policy.PolicyFixtures.UNTIL;
import static dev.moratorium.policy.PolicyFixtures.amazonAnnouncement;
import static dev.moratorium.policy.PolicyFixtures.applied;
import static dev.moratorium.policy.PolicyFixtures.day;
import static dev.moratorium.policy.PolicyFixtures.moratorium;
import static dev.moratorium.policy.PolicyFixtures.statuses;
import static dev.moratorium.policy.PolicyFixtures.types;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimeDrivenChangesTest {

    private static final Duration P30D = Duration.ofDays(30);
    private static final Duration P7D = Duration.ofDays(7);
    private static final Instant MOMENT_30 = day("2021-05-11"); // UNTIL - 30 days
    private static final Instant MOMENT_7 = day("2021-06-03"); // UNTIL - 7 days

    private final TimeDrivenChanges time = PolicyFixtures.defaultTime();

    /** The seed moratorium, active, last brought up to date just after its start. */
    private static Policy active() {
        return moratorium(PolicyStatus.ACTIVE, FROM, UNTIL, day("2020-06-11"));
    }

    @Test
    void eachReminderIsEmittedOnceAtItsMoment() {
        Policy p = active();

        Outcome justBefore = time.advance(p, MOMENT_30.minusSeconds(1));
        assertThat(justBefore.notifications()).isEmpty();
        p = justBefore.state();

        Outcome at30 = time.advance(p, MOMENT_30);
        assertThat(at30.notifications())
                .extracting(Notification::type, Notification::causedBy, Notification::occurredAt, Notification::message)
                .containsExactly(tuple(NotificationType.EXPIRY_APPROACHING, "clock", MOMENT_30,
                        "Police moratorium on Amazon Rekognition ends in 30 days, on 2021-06-10."));
        assertThat(at30.notifications().get(0).notificationId())
                .isEqualTo(NotificationIds.reminder(AMAZON_ID, UNTIL, P30D));
        assertThat(at30.stateChanges()).as("a reminder changes no visible state").isEmpty();
        p = at30.state();
        assertThat(p.evaluatedAt()).isEqualTo(MOMENT_30);

        assertThat(time.advance(p, MOMENT_30).notifications()).as("same moment again").isEmpty();
        p = time.advance(p, day("2021-05-20")).state();
        assertThat(time.advance(p, day("2021-05-20")).notifications()).isEmpty();

        Outcome at7 = time.advance(p, MOMENT_7);
        assertThat(at7.notifications())
                .extracting(Notification::type, Notification::causedBy, Notification::occurredAt, Notification::message)
                .containsExactly(tuple(NotificationType.EXPIRY_APPROACHING, "clock", MOMENT_7,
                        "Police moratorium on Amazon Rekognition ends in 7 days, on 2021-06-10."));
        p = at7.state();
        assertThat(time.advance(p, day("2021-06-05")).notifications()).isEmpty();
        p = time.advance(p, day("2021-06-05")).state();

        Outcome atEnd = time.advance(p, UNTIL);
        assertThat(types(atEnd)).containsExactly(NotificationType.ACCESS_RESTORED);
        assertThat(atEnd.notifications().get(0).message()).isEqualTo(AMAZON_RESTORED);
        assertThat(time.advance(atEnd.state(), day("2030-01-01")).isEmpty()).isTrue();
    }

    @Test
    void followingNextDueAtYieldsEveryChangeInOrderAndNothingElse() {
        Policy p = applied(new PolicyDecider(time).decide(Optional.empty(), amazonAnnouncement(),
                Instant.parse("2020-06-09T00:00:00Z"))).state();
        List<Instant> moments = new ArrayList<>();
        List<Notification> notifications = new ArrayList<>();
        List<PolicyStatus> statuses = new ArrayList<>();
        Optional<Instant> next;
        while ((next = time.nextDueAt(p)).isPresent()) {
            assertThat(moments).as("no endless loop").hasSizeLessThan(10);
            Instant at = next.get();
            assertThat(time.advance(p, at.minusMillis(1)).isEmpty()).as("nothing happens before %s", at).isTrue();
            Outcome o = time.advance(p, at);
            assertThat(o.isEmpty()).as("something happens at %s", at).isFalse();
            moments.add(at);
            notifications.addAll(o.notifications());
            statuses.addAll(statuses(o));
            p = o.state();
        }
        assertThat(moments).containsExactly(FROM, MOMENT_30, MOMENT_7, UNTIL);
        assertThat(notifications).extracting(Notification::type, Notification::occurredAt).containsExactly(
                tuple(NotificationType.EXPIRY_APPROACHING, MOMENT_30),
                tuple(NotificationType.EXPIRY_APPROACHING, MOMENT_7),
                tuple(NotificationType.ACCESS_RESTORED, UNTIL));
        assertThat(statuses).containsExactly(PolicyStatus.ACTIVE, PolicyStatus.EXPIRED);
    }

    @Test
    void aReminderWhoseMomentHadPassedWhenTheEventArrivedIsNotEmitted() {
        Instant arrival = day("2021-05-20"); // after the 30-day moment, before the 7-day one
        Outcome announced = applied(new PolicyDecider(time).decide(Optional.empty(), amazonAnnouncement(), arrival));
        assertThat(types(announced)).containsExactly(NotificationType.ACCESS_SUSPENDED);

        Policy p = announced.state();
        assertThat(time.nextDueAt(p)).contains(MOMENT_7);
        Outcome later = time.advance(p, MOMENT_7);
        assertThat(later.notifications()).extracting(Notification::message)
                .containsExactly("Police moratorium on Amazon Rekognition ends in 7 days, on 2021-06-10.");
    }

    @Test
    void advancingAcrossBothMomentsAtOnceEmitsOnlyTheSevenDayReminder() {
        Outcome o = time.advance(active(), day("2021-06-05"));
        assertThat(o.notifications())
                .extracting(Notification::type, Notification::occurredAt, Notification::notificationId)
                .containsExactly(tuple(NotificationType.EXPIRY_APPROACHING, MOMENT_7,
                        NotificationIds.reminder(AMAZON_ID, UNTIL, P7D)));
        assertThat(time.advance(o.state(), day("2021-06-09")).notifications()).as("and never the 30-day one later")
                .isEmpty();
    }

    @Test
    void noReminderAfterTheEnd() {
        Outcome o = time.advance(active(), day("2021-06-11"));
        assertThat(types(o)).containsExactly(NotificationType.ACCESS_RESTORED);
        Outcome exactlyAtEnd = time.advance(active(), UNTIL);
        assertThat(types(exactlyAtEnd)).containsExactly(NotificationType.ACCESS_RESTORED);
    }

    @Test
    void aReminderIdIsTheSameWhoeverDerivesIt() {
        Notification fromEarly = time.advance(moratorium(PolicyStatus.ACTIVE, FROM, UNTIL, day("2020-06-11")),
                MOMENT_30).notifications().get(0);
        Notification fromLate = time.advance(moratorium(PolicyStatus.ACTIVE, FROM, UNTIL, day("2021-05-01")),
                MOMENT_30.plusSeconds(3)).notifications().get(0);
        assertThat(fromLate.notificationId()).isEqualTo(fromEarly.notificationId());
        assertThat(fromLate.occurredAt()).isEqualTo(MOMENT_30);
    }

    @Test
    void noRemindersWithoutAnEnd() {
        Policy indefinite = moratorium(PolicyStatus.ACTIVE, FROM, null, day("2020-06-11"));
        assertThat(time.advance(indefinite, day("2030-01-01")).notifications()).isEmpty();
        assertThat(time.nextDueAt(indefinite)).isEmpty();
    }

    @Test
    void aScheduledMoratoriumCrossingItsStartAndEndAtOnceBecomesActiveThenExpired() {
        Policy scheduled = moratorium(PolicyStatus.SCHEDULED, FROM, UNTIL, day("2020-06-01"));
        Outcome o = time.advance(scheduled, day("2022-01-01"));
        assertThat(statuses(o)).containsExactly(PolicyStatus.ACTIVE, PolicyStatus.EXPIRED);
        assertThat(types(o)).containsExactly(NotificationType.ACCESS_RESTORED);
        assertThat(o.state().evaluatedAt()).isEqualTo(day("2022-01-01"));
    }

    static Stream<Arguments> nextDue() {
        Policy withdrawal = new Policy("w", PolicyKind.WITHDRAWAL, "IBM", "x", List.of("*"), PolicyStatus.SCHEDULED,
                day("2020-06-08"), null, null, List.of(), null, null, null, day("2020-06-01"));
        return Stream.of(
                arguments("scheduled: its start", moratorium(PolicyStatus.SCHEDULED, FROM, UNTIL, day("2020-06-01")),
                        Optional.of(FROM)),
                arguments("active: the 30-day reminder", active(), Optional.of(MOMENT_30)),
                arguments("active, past the 30-day moment: the 7-day reminder",
                        moratorium(PolicyStatus.ACTIVE, FROM, UNTIL, MOMENT_30), Optional.of(MOMENT_7)),
                arguments("active, past both reminders: the end",
                        moratorium(PolicyStatus.ACTIVE, FROM, UNTIL, MOMENT_7), Optional.of(UNTIL)),
                arguments("active until further notice: nothing",
                        moratorium(PolicyStatus.ACTIVE, FROM, null, day("2020-06-11")), Optional.empty()),
                arguments("expired: nothing", moratorium(PolicyStatus.EXPIRED, FROM, UNTIL, UNTIL), Optional.empty()),
                arguments("lifted: nothing", moratorium(PolicyStatus.LIFTED, FROM, day("2020-12-01"), day("2020-12-01"))
                        .withEnd(day("2020-12-01"), day("2020-12-01")), Optional.empty()),
                arguments("scheduled withdrawal: its start", withdrawal, Optional.of(day("2020-06-08"))),
                arguments("withdrawn: nothing", withdrawal.withStatus(PolicyStatus.WITHDRAWN), Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nextDue")
    void nextDueAtIsTheNextBoundary(String name, Policy policy, Optional<Instant> expected) {
        assertThat(time.nextDueAt(policy)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PT0S", "-P7D", "-PT1S"})
    void theConstructorRejectsNonPositiveLeads(String lead) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new TimeDrivenChanges(List.of(P30D, Duration.parse(lead))))
                .withMessageContaining("must be positive");
    }

    @Test
    void leadsAreOrderedLongestFirstWithoutDuplicates() {
        TimeDrivenChanges t = new TimeDrivenChanges(List.of(P7D, P30D, P7D, Duration.ofHours(12)));
        assertThat(t.reminderLeads()).containsExactly(P30D, P7D, Duration.ofHours(12));
    }

    @Test
    void aConfiguredLeadInHoursReadsInHours() {
        TimeDrivenChanges hours = new TimeDrivenChanges(List.of(Duration.ofHours(12)));
        Outcome o = hours.advance(active(), UNTIL.minus(Duration.ofHours(12)));
        assertThat(o.notifications()).extracting(Notification::message)
                .containsExactly("Police moratorium on Amazon Rekognition ends in 12 hours, on 2021-06-10.");
    }
}
