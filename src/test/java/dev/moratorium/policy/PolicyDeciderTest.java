package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.AMAZON_EVENT;
import static dev.moratorium.policy.PolicyFixtures.AMAZON_ID;
import static dev.moratorium.policy.PolicyFixtures.AMAZON_RESTORED;
import static dev.moratorium.policy.PolicyFixtures.AMAZON_SUSPENDED;
import static dev.moratorium.policy.PolicyFixtures.AMAZON_TIME;
import static dev.moratorium.policy.PolicyFixtures.FROM;
import static dev.moratorium.policy.PolicyFixtures.IBM_EVENT;
import static dev.moratorium.policy.PolicyFixtures.IBM_FROM;
import static dev.moratorium.policy.PolicyFixtures.IBM_ID;
import static dev.moratorium.policy.PolicyFixtures.IBM_TIME;
import static dev.moratorium.policy.PolicyFixtures.IBM_WITHDRAWN;
import static dev.moratorium.policy.PolicyFixtures.UNTIL;
import static dev.moratorium.policy.PolicyFixtures.amazonAnnouncement;
import static dev.moratorium.policy.PolicyFixtures.announcement;
import static dev.moratorium.policy.PolicyFixtures.applied;
import static dev.moratorium.policy.PolicyFixtures.day;
import static dev.moratorium.policy.PolicyFixtures.extension;
import static dev.moratorium.policy.PolicyFixtures.grant;
import static dev.moratorium.policy.PolicyFixtures.ibmWithdrawal;
import static dev.moratorium.policy.PolicyFixtures.lift;
import static dev.moratorium.policy.PolicyFixtures.messages;
import static dev.moratorium.policy.PolicyFixtures.meta;
import static dev.moratorium.policy.PolicyFixtures.rejected;
import static dev.moratorium.policy.PolicyFixtures.revoke;
import static dev.moratorium.policy.PolicyFixtures.statuses;
import static dev.moratorium.policy.PolicyFixtures.types;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import dev.moratorium.policy.PolicyEvent.ExemptionGranted;
import dev.moratorium.policy.PolicyEvent.ExemptionRevoked;
import dev.moratorium.policy.PolicyEvent.MoratoriumAnnounced;
import dev.moratorium.policy.PolicyEvent.MoratoriumExtended;
import dev.moratorium.policy.PolicyEvent.MoratoriumLifted;
import dev.moratorium.policy.PolicyEvent.ProductWithdrawn;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyDeciderTest {

    private static final PolicyDecider DECIDER = new PolicyDecider(PolicyFixtures.defaultTime());

    private static final Instant JUNE_9 = Instant.parse("2020-06-09T00:00:00Z");
    private static final Instant JUNE_11 = Instant.parse("2020-06-11T00:00:00Z");
    private static final Instant LATE = Instant.parse("2026-11-26T00:00:00Z");

    // ---- states reached through the decider itself ----

    /** The seed announcement decided at {@code now}. */
    private static Policy amazon(Instant now) {
        return applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), now)).state();
    }

    /** The seed moratorium, ACTIVE, brought up to 2020-06-11. */
    private static Policy amazonActive() {
        Policy p = amazon(JUNE_11);
        assertThat(p.status()).isEqualTo(PolicyStatus.ACTIVE);
        return p;
    }

    /** The seed moratorium extended until further notice (ACTIVE). */
    private static Policy amazonIndefinite() {
        return applied(DECIDER.decide(Optional.of(amazonActive()),
                extension("ext-indefinite", day("2020-07-01"), null), day("2020-07-01"))).state();
    }

    /** The seed moratorium after it reached its end (EXPIRED). */
    private static Policy amazonExpired() {
        Policy p = DECIDER.time().advance(amazonActive(), UNTIL).state();
        assertThat(p.status()).isEqualTo(PolicyStatus.EXPIRED);
        return p;
    }

    /** The seed moratorium lifted on 2020-12-01 (LIFTED). */
    private static Policy amazonLifted() {
        Policy p = applied(DECIDER.decide(Optional.of(amazonActive()),
                lift("lift-1", day("2020-12-01"), day("2020-12-01")), day("2020-12-01"))).state();
        assertThat(p.status()).isEqualTo(PolicyStatus.LIFTED);
        return p;
    }

    private static Policy ibm(Instant now) {
        return applied(DECIDER.decide(Optional.empty(), ibmWithdrawal(), now)).state();
    }

    @Nested
    class SeedStory {

        @Test
        void amazonAnnouncementBeforeItsStartIsScheduledWithOneSuspension() {
            Outcome outcome = applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), JUNE_9));

            Policy state = outcome.state();
            assertThat(state.policyId()).isEqualTo(AMAZON_ID);
            assertThat(state.kind()).isEqualTo(PolicyKind.MORATORIUM);
            assertThat(state.status()).isEqualTo(PolicyStatus.SCHEDULED);
            assertThat(state.vendor()).isEqualTo("Amazon");
            assertThat(state.product()).isEqualTo("Rekognition");
            assertThat(state.segments()).containsExactly("police");
            assertThat(state.effectiveFrom()).isEqualTo(Instant.parse("2020-06-10T00:00:00Z"));
            assertThat(state.effectiveUntil()).isEqualTo(Instant.parse("2021-06-10T00:00:00Z"));
            assertThat(state.liftedAt()).isNull();
            assertThat(state.evaluatedAt()).isEqualTo(JUNE_9);
            assertThat(state.exemptions())
                    .extracting(Exemption::organization, Exemption::purpose, Exemption::grantedAt, Exemption::revokedAt)
                    .containsExactly(tuple("Thorn", "finding missing children", null, null),
                            tuple("Marinus Analytics", "fighting human trafficking", null, null));
            assertThat(state.jurisdiction()).isEqualTo("US");

            assertThat(outcome.notifications()).hasSize(1);
            Notification n = outcome.notifications().get(0);
            assertThat(n.type()).isEqualTo(NotificationType.ACCESS_SUSPENDED);
            assertThat(n.message()).isEqualTo(AMAZON_SUSPENDED);
            assertThat(n.causedBy()).isEqualTo(AMAZON_EVENT);
            assertThat(n.occurredAt()).isEqualTo(AMAZON_TIME);
            assertThat(n.policy().status()).isEqualTo(PolicyStatus.SCHEDULED);
            assertThat(n.notificationId()).isEqualTo(
                    NotificationIds.causedByEvent(AMAZON_EVENT, NotificationType.ACCESS_SUSPENDED));

            assertThat(statuses(outcome)).containsExactly(PolicyStatus.SCHEDULED);
        }

        @Test
        void amazonAnnouncementReadIn2026IsSuspendedThenRestoredWithoutReminders() {
            Outcome outcome = applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), LATE));

            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::occurredAt,
                            Notification::message)
                    .containsExactly(
                            tuple(NotificationType.ACCESS_SUSPENDED, AMAZON_EVENT, AMAZON_TIME, AMAZON_SUSPENDED),
                            tuple(NotificationType.ACCESS_RESTORED, Notification.CLOCK, UNTIL, AMAZON_RESTORED));
            assertThat(types(outcome)).doesNotContain(NotificationType.EXPIRY_APPROACHING);
            assertThat(outcome.notifications().get(0).policy().status()).isEqualTo(PolicyStatus.ACTIVE);
            assertThat(outcome.notifications().get(1).policy().status()).isEqualTo(PolicyStatus.EXPIRED);
            assertThat(outcome.state().status()).isEqualTo(PolicyStatus.EXPIRED);
            assertThat(outcome.state().effectiveUntil()).isEqualTo(UNTIL);
            assertThat(outcome.state().evaluatedAt()).isEqualTo(LATE);
            assertThat(statuses(outcome)).containsExactly(PolicyStatus.ACTIVE, PolicyStatus.EXPIRED);
        }

        @Test
        void theRestoredIdIsTheSameOnLateCatchUpAndWhenTheClockGetsThere() {
            Outcome late = applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), LATE));
            Notification restoredLate = late.notifications().get(1);

            Outcome byClock = DECIDER.time().advance(amazon(JUNE_9), UNTIL);
            assertThat(byClock.notifications()).hasSize(1);
            Notification restoredByClock = byClock.notifications().get(0);

            assertThat(restoredByClock.type()).isEqualTo(NotificationType.ACCESS_RESTORED);
            assertThat(restoredByClock.notificationId()).isEqualTo(restoredLate.notificationId());
            assertThat(restoredByClock.message()).isEqualTo(restoredLate.message()).isEqualTo(AMAZON_RESTORED);
            assertThat(restoredByClock.causedBy()).isEqualTo(Notification.CLOCK);
            assertThat(restoredByClock.occurredAt()).isEqualTo(UNTIL);
        }

        @Test
        void ibmWithdrawalAfterItsStartIsWithdrawnForAllCustomers() {
            Outcome outcome = applied(DECIDER.decide(Optional.empty(), ibmWithdrawal(), JUNE_9));

            Policy state = outcome.state();
            assertThat(state.kind()).isEqualTo(PolicyKind.WITHDRAWAL);
            assertThat(state.status()).isEqualTo(PolicyStatus.WITHDRAWN);
            assertThat(state.segments()).containsExactly("*");
            assertThat(state.effectiveFrom()).isEqualTo(IBM_FROM);
            assertThat(state.effectiveUntil()).isNull();
            assertThat(state.exemptions()).isEmpty();

            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::occurredAt,
                            Notification::message)
                    .containsExactly(tuple(NotificationType.ACCESS_WITHDRAWN, IBM_EVENT, IBM_TIME, IBM_WITHDRAWN));
            assertThat(statuses(outcome)).containsExactly(PolicyStatus.WITHDRAWN);
        }

        @Test
        void ibmWithdrawalBeforeItsStartIsScheduledThenWithdrawnSilently() {
            Outcome announced = applied(DECIDER.decide(Optional.empty(), ibmWithdrawal(), day("2020-06-01")));
            assertThat(announced.state().status()).isEqualTo(PolicyStatus.SCHEDULED);
            assertThat(messages(announced)).containsExactly(IBM_WITHDRAWN);

            Outcome started = DECIDER.time().advance(announced.state(), IBM_FROM);
            assertThat(started.notifications()).isEmpty();
            assertThat(statuses(started)).containsExactly(PolicyStatus.WITHDRAWN);
            assertThat(DECIDER.time().nextDueAt(started.state())).isEmpty();
            assertThat(DECIDER.time().advance(started.state(), LATE).notifications())
                    .as("a withdrawal never ends").isEmpty();
        }
    }

    // ---- rejections: one table per reason code ----

    static Stream<PolicyEvent> eventsOnUnknownPolicy() {
        Instant t = day("2020-07-01");
        return Stream.of(
                new MoratoriumExtended(meta("e1", t), "acme-x", day("2022-01-01"), null),
                new MoratoriumLifted(meta("e2", t), "acme-x", t, null),
                new ExemptionGranted(meta("e3", t), "acme-x", "Thorn", null),
                new ExemptionRevoked(meta("e4", t), "acme-x", "Thorn", null));
    }

    @ParameterizedTest
    @MethodSource("eventsOnUnknownPolicy")
    void anEventOnAPolicyNeverAnnouncedIsUnknownPolicy(PolicyEvent event) {
        Rejection r = rejected(DECIDER.decide(Optional.empty(), event, day("2020-07-01")));
        assertThat(r.reason()).isEqualTo(RejectionReason.UNKNOWN_POLICY);
        assertThat(r.deadLetterReason()).isEqualTo("unknown-policy: no policy \"acme-x\" has been announced");
    }

    static Stream<Arguments> duplicates() {
        MoratoriumAnnounced againAmazon = new MoratoriumAnnounced(meta("dup-1", JUNE_11), AMAZON_ID, "Amazon",
                "Rekognition", List.of("police"), FROM, null, List.of(), null, null, null);
        ProductWithdrawn withdrawAmazon = new ProductWithdrawn(meta("dup-2", JUNE_11), AMAZON_ID, "Amazon",
                "Rekognition", FROM, List.of("*"), null, null);
        MoratoriumAnnounced announceIbm = new MoratoriumAnnounced(meta("dup-3", JUNE_11), IBM_ID, "IBM",
                "general-purpose face recognition", List.of("police"), FROM, null, List.of(), null, null, null);
        ProductWithdrawn againIbm = new ProductWithdrawn(meta("dup-4", JUNE_11), IBM_ID, "IBM", "x", IBM_FROM,
                List.of("*"), null, null);
        return Stream.of(
                arguments("announce over a moratorium", amazonActive(), againAmazon),
                arguments("withdraw over a moratorium", amazonActive(), withdrawAmazon),
                arguments("announce over a withdrawal", ibm(JUNE_9), announceIbm),
                arguments("withdraw over a withdrawal", ibm(JUNE_9), againIbm),
                arguments("announce over an expired moratorium", amazonExpired(), againAmazon));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("duplicates")
    void creatingAPolicyIdThatExistsIsDuplicatePolicy(String name, Policy existing, PolicyEvent event) {
        Rejection r = rejected(DECIDER.decide(Optional.of(existing), event, JUNE_11));
        assertThat(r.reason()).isEqualTo(RejectionReason.DUPLICATE_POLICY);
        assertThat(r.message()).isEqualTo("policy \"" + existing.policyId() + "\" already exists");
    }

    static Stream<Arguments> invalidIntervals() {
        return Stream.of(
                arguments("announce ending when it starts", Optional.empty(),
                        announcement("a1", AMAZON_ID, List.of("police"), FROM, FROM, List.of()),
                        "effectiveUntil 2020-06-10 is not after effectiveFrom 2020-06-10"),
                arguments("announce ending before it starts", Optional.empty(),
                        announcement("a2", AMAZON_ID, List.of("police"), FROM, day("2020-06-01"), List.of()),
                        "effectiveUntil 2020-06-01 is not after effectiveFrom 2020-06-10"),
                arguments("announce ending before it starts (timestamps)", Optional.empty(),
                        announcement("a3", AMAZON_ID, List.of("police"), Instant.parse("2020-06-10T12:00:01Z"),
                                Instant.parse("2020-06-10T12:00:00Z"), List.of()),
                        "effectiveUntil 2020-06-10T12:00:00Z is not after effectiveFrom 2020-06-10T12:00:01Z"),
                arguments("extend to its start", Optional.of(amazonActive()),
                        extension("x1", JUNE_11, FROM), "effectiveUntil 2020-06-10 is not after effectiveFrom"),
                arguments("extend to before its start", Optional.of(amazonActive()),
                        extension("x2", JUNE_11, day("2020-01-01")),
                        "effectiveUntil 2020-01-01 is not after effectiveFrom 2020-06-10"),
                arguments("lift on its end", Optional.of(amazonActive()),
                        lift("l1", JUNE_11, UNTIL), "already ends on 2021-06-10; a lift on 2021-06-10 would change nothing"),
                arguments("lift after its end", Optional.of(amazonActive()),
                        lift("l2", JUNE_11, day("2021-07-01")), "a lift on 2021-07-01 would change nothing"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidIntervals")
    void anIntervalThatEndsTooEarlyIsInvalidInterval(String name, Optional<Policy> current, PolicyEvent event,
            String messagePart) {
        Rejection r = rejected(DECIDER.decide(current, event, JUNE_11));
        assertThat(r.reason()).isEqualTo(RejectionReason.INVALID_INTERVAL);
        assertThat(r.message()).contains(messagePart);
        assertThat(r.deadLetterReason()).startsWith("invalid-interval: ");
    }

    static Stream<Arguments> notExtensions() {
        Instant t = day("2020-08-01");
        return Stream.of(
                arguments("the same end date", amazonActive(), extension("n1", t, UNTIL),
                        "ends on 2021-06-10; an extension must end later, not on 2021-06-10"),
                arguments("an earlier end date", amazonActive(), extension("n2", t, day("2021-01-01")),
                        "ends on 2021-06-10; an extension must end later, not on 2021-01-01"),
                arguments("a date, when it holds until further notice", amazonIndefinite(),
                        extension("n3", t, day("2030-01-01")),
                        "already holds until further notice; it cannot be extended to 2030-01-01"),
                arguments("until further notice, when it already holds until further notice", amazonIndefinite(),
                        extension("n4", t, null),
                        "already holds until further notice; it cannot be extended to until further notice"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notExtensions")
    void anExtensionThatDoesNotEndLaterIsNotAnExtension(String name, Policy current, PolicyEvent event,
            String messagePart) {
        Rejection r = rejected(DECIDER.decide(Optional.of(current), event, day("2020-08-01")));
        assertThat(r.reason()).isEqualTo(RejectionReason.NOT_AN_EXTENSION);
        assertThat(r.message()).startsWith("policy \"" + AMAZON_ID + "\"").contains(messagePart);
    }

    static Stream<Arguments> closedPolicies() {
        Instant t = day("2021-07-01");
        String expired = "policy \"" + AMAZON_ID + "\" already ended: it expired on 2021-06-10";
        String lifted = "policy \"" + AMAZON_ID + "\" already ended: it was lifted on 2020-12-01";
        String withdrawn = "policy \"" + IBM_ID + "\" is a product withdrawal, which is final";
        return Stream.of(
                arguments("extend an expired one", amazonExpired(), extension("c1", t, day("2022-06-10")), t, expired),
                arguments("grant on an expired one", amazonExpired(), grant("c2", t, "Polaris", null), t, expired),
                arguments("lift an expired one", amazonExpired(), lift("c3", t, t), t, expired),
                arguments("extend one that ended before the event though not yet marked so", amazonActive(),
                        extension("c4", t, day("2022-06-10")), t, expired),
                arguments("revoke on one that ended before the event", amazonActive(), revoke("c5", t, "Thorn"), t,
                        expired),
                arguments("extend a lifted one", amazonLifted(), extension("c6", t, day("2022-06-10")), t, lifted),
                arguments("lift a lifted one", amazonLifted(), lift("c7", t, t), t, lifted),
                arguments("grant on a lifted one", amazonLifted(), grant("c8", t, "Polaris", null), t, lifted),
                arguments("extend a withdrawal", ibm(JUNE_9),
                        new MoratoriumExtended(meta("c9", t), IBM_ID, day("2030-01-01"), null), t, withdrawn),
                arguments("lift a withdrawal", ibm(JUNE_9), new MoratoriumLifted(meta("c10", t), IBM_ID, t, null), t,
                        withdrawn),
                arguments("grant on a withdrawal", ibm(JUNE_9),
                        new ExemptionGranted(meta("c11", t), IBM_ID, "Thorn", null), t, withdrawn),
                arguments("revoke on a withdrawal", ibm(JUNE_9),
                        new ExemptionRevoked(meta("c12", t), IBM_ID, "Thorn", null), t, withdrawn));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("closedPolicies")
    void anEventOnAnEndedPolicyIsPolicyClosed(String name, Policy current, PolicyEvent event, Instant now,
            String message) {
        Rejection r = rejected(DECIDER.decide(Optional.of(current), event, now));
        assertThat(r.reason()).isEqualTo(RejectionReason.POLICY_CLOSED);
        assertThat(r.message()).isEqualTo(message);
    }

    static Stream<Arguments> revocationsOfNonExempt() {
        Policy thornRevoked = applied(DECIDER.decide(Optional.of(amazonActive()),
                revoke("r0", day("2020-07-01"), "Thorn"), day("2020-07-01"))).state();
        return Stream.of(
                arguments("never exempt", amazonActive(), "Polaris Project"),
                arguments("exempt once, already revoked", thornRevoked, "Thorn"),
                arguments("already revoked, other spelling", thornRevoked, "THORN"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("revocationsOfNonExempt")
    void revokingAnOrganizationWithoutAnExemptionIsInvalidField(String name, Policy current, String organization) {
        Rejection r = rejected(DECIDER.decide(Optional.of(current), revoke("r1", day("2020-08-01"), organization),
                day("2020-08-01")));
        assertThat(r.reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        assertThat(r.message()).isEqualTo("organization \"" + organization + "\" holds no exemption from policy \""
                + AMAZON_ID + "\"");
    }

    // ---- status changes ----

    @Nested
    class StatusChanges {

        @Test
        void reachingEffectiveFromMakesTheMoratoriumActiveWithoutANotification() {
            Outcome outcome = DECIDER.time().advance(amazon(JUNE_9), FROM);
            assertThat(outcome.notifications()).isEmpty();
            assertThat(statuses(outcome)).containsExactly(PolicyStatus.ACTIVE);
            assertThat(outcome.state().status()).isEqualTo(PolicyStatus.ACTIVE);
        }

        @Test
        void anEventAfterEffectiveFromCatchesUpSilentlyBeforeActing() {
            Instant now = day("2020-06-15");
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazon(JUNE_9)),
                    grant("g-late", now, "Polaris Project", "supporting survivors"), now));
            assertThat(types(outcome)).containsExactly(NotificationType.EXEMPTION_GRANTED);
            assertThat(statuses(outcome)).containsExactly(PolicyStatus.ACTIVE, PolicyStatus.ACTIVE);
            assertThat(outcome.notifications().get(0).policy().status()).isEqualTo(PolicyStatus.ACTIVE);
            assertThat(outcome.state().evaluatedAt()).isEqualTo(now);
        }

        @Test
        void reachingEffectiveUntilExpiresWithAccessRestored() {
            Policy active = amazonActive();
            assertThat(DECIDER.time().advance(active, UNTIL.minusMillis(1)).notifications())
                    .extracting(Notification::type).doesNotContain(NotificationType.ACCESS_RESTORED);

            Outcome outcome = DECIDER.time().advance(DECIDER.time().advance(active, UNTIL.minusMillis(1)).state(),
                    UNTIL);
            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::occurredAt,
                            Notification::message)
                    .containsExactly(tuple(NotificationType.ACCESS_RESTORED, "clock", UNTIL, AMAZON_RESTORED));
            assertThat(statuses(outcome)).containsExactly(PolicyStatus.EXPIRED);
            assertThat(outcome.state().liftedAt()).isNull();
        }

        @Test
        void aLiftTakingEffectNowRestoresAccessImmediately() {
            Instant now = Instant.parse("2020-12-01T09:30:00Z");
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    lift("lift-now", now, day("2020-12-01")), now));

            assertThat(outcome.state().status()).isEqualTo(PolicyStatus.LIFTED);
            assertThat(outcome.state().effectiveUntil()).isEqualTo(day("2020-12-01"));
            assertThat(outcome.state().liftedAt()).isEqualTo(day("2020-12-01"));
            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::occurredAt,
                            Notification::message)
                    .containsExactly(tuple(NotificationType.ACCESS_RESTORED, "lift-now", now,
                            "Police access to Amazon Rekognition restored on 2020-12-01: the moratorium was lifted."));
            assertThat(statuses(outcome)).containsExactly(PolicyStatus.LIFTED);
            assertThat(DECIDER.time().nextDueAt(outcome.state())).isEmpty();
            assertThat(DECIDER.time().advance(outcome.state(), LATE).notifications())
                    .as("nothing more happens to a lifted moratorium").isEmpty();
        }

        @Test
        void aLiftForLaterChangesTheEndNowAndRestoresAccessByTheClockAtThatMoment() {
            Instant now = day("2020-12-01");
            Instant later = Instant.parse("2021-01-01T12:00:00Z");
            Outcome announcedLift = applied(DECIDER.decide(Optional.of(amazonActive()),
                    lift("lift-later", now, later), now));

            assertThat(announcedLift.notifications()).isEmpty();
            assertThat(announcedLift.stateChanges()).hasSize(1);
            Policy pending = announcedLift.state();
            assertThat(pending.status()).isEqualTo(PolicyStatus.ACTIVE);
            assertThat(pending.effectiveUntil()).isEqualTo(later);
            assertThat(pending.liftedAt()).isEqualTo(later);
            assertThat(pending.restrictsAt(later.minusSeconds(1))).isTrue();
            assertThat(pending.restrictsAt(later)).isFalse();
            assertThat(DECIDER.time().nextDueAt(pending)).contains(later.minus(java.time.Duration.ofDays(30)));

            Outcome atLift = DECIDER.time().advance(pending, later);
            assertThat(atLift.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::occurredAt,
                            Notification::message)
                    .containsExactly(tuple(NotificationType.ACCESS_RESTORED, "clock", later,
                            "Police access to Amazon Rekognition restored on 2021-01-01T12:00:00Z: the moratorium was lifted."));
            assertThat(atLift.state().status()).isEqualTo(PolicyStatus.LIFTED);
        }

        @Test
        void aLiftBeforeTheStartEndsTheMoratoriumBeforeItEverBecomesActive() {
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazon(JUNE_9)),
                    lift("lift-early", JUNE_9, JUNE_9), JUNE_9));
            assertThat(outcome.state().status()).isEqualTo(PolicyStatus.LIFTED);
            assertThat(outcome.state().effectiveUntil()).isEqualTo(FROM);
            assertThat(outcome.state().restrictsAt(FROM)).isFalse();
            assertThat(types(outcome)).containsExactly(NotificationType.ACCESS_RESTORED);
            assertThat(DECIDER.time().advance(outcome.state(), LATE).stateChanges()).isEmpty();
        }

        @Test
        void aRejectedEventDoesNotEmitTheCatchUpItComputed() {
            // the moratorium ended at UNTIL while nobody looked; the event is rejected and emits nothing
            Decision d = DECIDER.decide(Optional.of(amazonActive()), grant("g-x", LATE, "Polaris", null), LATE);
            assertThat(d).isInstanceOf(Decision.Rejected.class);
        }

        @Test
        void timeDrivenNotificationsComeBeforeTheEventsOwn() {
            Instant now = day("2021-06-05"); // after both reminder moments, before the end
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()), lift("lift-x", now, now), now));
            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy)
                    .containsExactly(tuple(NotificationType.EXPIRY_APPROACHING, "clock"),
                            tuple(NotificationType.ACCESS_RESTORED, "lift-x"));
            assertThat(outcome.notifications().get(0).occurredAt())
                    .isBefore(outcome.notifications().get(1).occurredAt());
        }
    }

    @Nested
    class Extensions {

        @Test
        void extendingUntilFurtherNotice() {
            Instant now = day("2021-05-01");
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    extension("ext-1", now, null), now));

            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::occurredAt,
                            Notification::message)
                    .containsExactly(tuple(NotificationType.SUSPENSION_EXTENDED, "ext-1", now,
                            "Police access to Amazon Rekognition suspended until further notice (previously until 2021-06-10)."));
            assertThat(outcome.state().effectiveUntil()).isNull();
            assertThat(outcome.state().status()).isEqualTo(PolicyStatus.ACTIVE);
            assertThat(DECIDER.time().nextDueAt(outcome.state())).isEmpty();
            assertThat(DECIDER.time().advance(outcome.state(), LATE).notifications()).isEmpty();
        }

        @Test
        void extendingToALaterDate() {
            Instant now = day("2021-05-01");
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    extension("ext-2", now, day("2022-06-10")), now));
            assertThat(messages(outcome)).containsExactly(
                    "Police access to Amazon Rekognition suspended until 2022-06-10 (previously until 2021-06-10).");
            assertThat(outcome.state().effectiveUntil()).isEqualTo(day("2022-06-10"));
            assertThat(DECIDER.time().advance(outcome.state(), UNTIL).notifications())
                    .as("the old end passes unnoticed").isEmpty();
        }

        @Test
        void aScheduledMoratoriumCanBeExtended() {
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazon(JUNE_9)),
                    extension("ext-3", JUNE_9, day("2021-12-31")), JUNE_9));
            assertThat(outcome.state().status()).isEqualTo(PolicyStatus.SCHEDULED);
            assertThat(types(outcome)).containsExactly(NotificationType.SUSPENSION_EXTENDED);
        }

        @Test
        void anExtensionSupersedesALiftScheduledForLater() {
            Instant now = day("2020-12-01");
            Policy pending = applied(DECIDER.decide(Optional.of(amazonActive()),
                    lift("lift-later", now, day("2021-01-01")), now)).state();
            Outcome outcome = applied(DECIDER.decide(Optional.of(pending),
                    extension("ext-4", now, day("2022-01-01")), now));

            assertThat(messages(outcome)).containsExactly(
                    "Police access to Amazon Rekognition suspended until 2022-01-01 (previously until 2021-01-01).");
            assertThat(outcome.state().liftedAt()).isNull();
            Outcome end = DECIDER.time().advance(outcome.state(), day("2022-01-01"));
            assertThat(end.state().status()).isEqualTo(PolicyStatus.EXPIRED);
            assertThat(messages(end)).containsExactly(
                    "Police access to Amazon Rekognition restored on 2022-01-01: the moratorium ended.");
        }
    }

    @Nested
    class Exemptions {

        private final Instant now = day("2020-07-01");

        @Test
        void grantingANewExemption() {
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    grant("g-1", now, "Polaris Project", "supporting survivors"), now));

            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::message)
                    .containsExactly(tuple(NotificationType.EXEMPTION_GRANTED, "g-1",
                            "Polaris Project exempt from the police moratorium on Amazon Rekognition (supporting survivors)."));
            assertThat(outcome.state().activeExemptions()).extracting(Exemption::organization)
                    .containsExactly("Thorn", "Marinus Analytics", "Polaris Project");
            Exemption polaris = outcome.state().activeExemptionFor("polaris project").orElseThrow();
            assertThat(polaris.grantedAt()).isEqualTo(now);
            assertThat(polaris.heldAt(now.minusSeconds(1))).isFalse();
            assertThat(polaris.heldAt(now)).isTrue();
        }

        @Test
        void grantingWithoutAPurpose() {
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    grant("g-2", now, "Polaris Project", null), now));
            assertThat(messages(outcome)).containsExactly(
                    "Polaris Project exempt from the police moratorium on Amazon Rekognition.");
        }

        @Test
        void reGrantingTheSameExemptionInAnotherSpellingChangesNothing() {
            Policy before = amazonActive();
            Outcome outcome = applied(DECIDER.decide(Optional.of(before),
                    grant("g-3", now, "THORN", "finding missing children"), now));
            assertThat(outcome.notifications()).isEmpty();
            assertThat(outcome.stateChanges()).isEmpty();
            assertThat(outcome.state().exemptions()).isEqualTo(before.exemptions());
        }

        @Test
        void reGrantingWithAnotherPurposeUpdatesItKeepingTheAnnouncedSpelling() {
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    grant("g-4", now, "thorn", "finding missing and exploited children"), now));
            assertThat(messages(outcome)).containsExactly(
                    "Thorn exempt from the police moratorium on Amazon Rekognition (finding missing and exploited children).");
            assertThat(outcome.state().activeExemptions())
                    .extracting(Exemption::organization, Exemption::purpose)
                    .containsExactlyInAnyOrder(tuple("Thorn", "finding missing and exploited children"),
                            tuple("Marinus Analytics", "fighting human trafficking"));
            assertThat(outcome.state().exemptionHeldAt("THORN", FROM)).as("held from the start still").isPresent();
        }

        @Test
        void revokingMatchesCaseInsensitivelyAndKeepsTheRevokedExemptionForThePast() {
            Outcome outcome = applied(DECIDER.decide(Optional.of(amazonActive()),
                    revoke("r-1", now, "marinus ANALYTICS"), now));

            assertThat(outcome.notifications())
                    .extracting(Notification::type, Notification::causedBy, Notification::message)
                    .containsExactly(tuple(NotificationType.EXEMPTION_REVOKED, "r-1",
                            "Marinus Analytics no longer exempt from the police moratorium on Amazon Rekognition."));
            Policy after = outcome.state();
            assertThat(after.activeExemptions()).extracting(Exemption::organization).containsExactly("Thorn");
            assertThat(after.activeExemptionFor("Marinus Analytics")).isEmpty();
            assertThat(after.exemptionHeldAt("Marinus Analytics", JUNE_11)).isPresent();
            assertThat(after.exemptionHeldAt("Marinus Analytics", now)).isEmpty();
            assertThat(after.exemptions()).hasSize(2);
        }

        @Test
        void aRevokedExemptionCanBeGrantedAgain() {
            Policy revoked = applied(DECIDER.decide(Optional.of(amazonActive()), revoke("r-2", now, "Thorn"), now))
                    .state();
            Instant again = day("2020-08-01");
            Outcome outcome = applied(DECIDER.decide(Optional.of(revoked),
                    grant("g-5", again, "thorn", "finding missing children"), again));
            assertThat(types(outcome)).containsExactly(NotificationType.EXEMPTION_GRANTED);
            assertThat(outcome.state().activeExemptionFor("Thorn")).isPresent();
            assertThat(outcome.state().exemptionHeldAt("Thorn", day("2020-07-15"))).as("gap while revoked").isEmpty();
            assertThat(outcome.state().exemptionHeldAt("Thorn", again)).isPresent();
        }

        @Test
        void exemptionsOfTheAnnouncementAreListedInTheSuspensionMessageWithoutRevokedOnes() {
            Policy revoked = applied(DECIDER.decide(Optional.of(amazonActive()), revoke("r-3", now, "Thorn"), now))
                    .state();
            assertThat(NotificationMessages.suspended(revoked)).isEqualTo(
                    "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Marinus Analytics).");
        }
    }

    @Nested
    class NotificationIdentity {

        @Test
        void theSameInputGivesTheSameDecision() {
            Decision first = DECIDER.decide(Optional.empty(), amazonAnnouncement(), LATE);
            Decision second = new PolicyDecider(PolicyFixtures.defaultTime())
                    .decide(Optional.empty(), amazonAnnouncement(), LATE);
            assertThat(second).isEqualTo(first);
            assertThat(applied(second).notifications()).extracting(Notification::notificationId)
                    .containsExactlyElementsOf(applied(first).notifications().stream()
                            .map(Notification::notificationId).toList());
        }

        @Test
        void idsAreUuidsDistinctPerEventAndType() {
            Outcome late = applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), LATE));
            List<String> ids = late.notifications().stream().map(Notification::notificationId).toList();
            assertThat(ids).doesNotHaveDuplicates();
            ids.forEach(id -> assertThat(UUID.fromString(id).toString()).isEqualTo(id));

            MoratoriumAnnounced otherId = new MoratoriumAnnounced(meta("another-event", AMAZON_TIME), AMAZON_ID,
                    "Amazon", "Rekognition", List.of("police"), FROM, UNTIL,
                    List.of(new ExemptionGrant("Thorn", "finding missing children")), null, null, null);
            Notification other = applied(DECIDER.decide(Optional.empty(), otherId, JUNE_9)).notifications().get(0);
            assertThat(other.notificationId()).isNotEqualTo(ids.get(0));
            assertThat(other.causedBy()).isEqualTo("another-event");
        }

        @Test
        void theSameEventAtAnotherClockStillGivesTheSameEventCausedId() {
            String early = applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), JUNE_9)).notifications()
                    .get(0).notificationId();
            String late = applied(DECIDER.decide(Optional.empty(), amazonAnnouncement(), LATE)).notifications()
                    .get(0).notificationId();
            assertThat(late).isEqualTo(early);
        }
    }
}
