package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.AMAZON_ID;
import static dev.moratorium.policy.PolicyFixtures.FROM;
import static dev.moratorium.policy.PolicyFixtures.UNTIL;
import static dev.moratorium.policy.PolicyFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A policy rebuilt from the events known by a day, decided with the instants the service applied them at. */
class AsKnownByTest {

    private static final PolicyDecider DECIDER = new PolicyDecider(PolicyFixtures.defaultTime());

    /** Amazon's moratorium, announced 2020-06-10 for a year, extended on 2021-05-18 until further notice. */
    private static List<RecordedEvent> amazonHistory(Instant receivedAt) {
        return List.of(
                new RecordedEvent(PolicyFixtures.announcement("a-1", AMAZON_ID, List.of("police"), FROM, UNTIL,
                        List.of()), receivedAt),
                new RecordedEvent(PolicyFixtures.extension("a-2", day("2021-05-18"), null), receivedAt));
    }

    @ParameterizedTest(name = "received {0}, as of {1}: allowed on 2021-07-01 {2}")
    @CsvSource({
            // the service applied both events while they happened
            "2021-05-18T00:00:00Z, 2021-05-01T00:00:00Z, true",
            "2021-05-18T00:00:00Z, 2021-05-20T00:00:00Z, false",
            "2021-05-18T00:00:00Z, 2021-07-01T00:00:00Z, false",
            // a service replaying 2020 (clock started 2020-06-09) read both events ahead of their time
            "2020-06-09T00:00:00Z, 2021-05-01T00:00:00Z, true",
            "2020-06-09T00:00:00Z, 2021-05-20T00:00:00Z, false"})
    void answersWithWhatWasKnown(String receivedAt, String asOf, boolean allowed) {
        Optional<Policy> known = AsKnownBy.replay(DECIDER, amazonHistory(Instant.parse(receivedAt)), Instant.parse(asOf));
        assertThat(known).isPresent();
        AccessDecision d = AccessRules.decide(List.of(known.get()), "police", null, Instant.parse("2021-07-01T00:00:00Z"));
        assertThat(d.allowed()).isEqualTo(allowed);
    }

    @Test
    void theStatusIsTheOneAtAsOfAndNothingIsKnownBeforeTheAnnouncement() {
        List<RecordedEvent> history = amazonHistory(day("2021-05-18"));
        assertThat(AsKnownBy.replay(DECIDER, history, day("2020-06-09"))).isEmpty();
        assertThat(AsKnownBy.replay(DECIDER, history, day("2020-06-10")).orElseThrow().status())
                .isEqualTo(PolicyStatus.ACTIVE);
        Policy may = AsKnownBy.replay(DECIDER, history, day("2021-05-01")).orElseThrow();
        assertThat(may.effectiveUntil()).isEqualTo(UNTIL);
        assertThat(may.status()).isEqualTo(PolicyStatus.ACTIVE);
        Policy later = AsKnownBy.replay(DECIDER, history, day("2021-07-01")).orElseThrow();
        assertThat(later.effectiveUntil()).isNull();
        assertThat(later.status()).isEqualTo(PolicyStatus.ACTIVE);
    }

    @Test
    void anEventThatNeedsOneNotYetKnownIsSkipped() {
        // granted with time 2020-08-01 but revoked with an earlier time: as of 2020-07-15 only the revocation is known
        List<RecordedEvent> history = List.of(
                new RecordedEvent(PolicyFixtures.announcement("a-1", AMAZON_ID, List.of("police"), FROM, UNTIL,
                        List.of()), FROM),
                new RecordedEvent(PolicyFixtures.grant("g-1", day("2020-08-01"), "Thorn", null), day("2020-08-01")),
                new RecordedEvent(PolicyFixtures.revoke("r-1", day("2020-07-01"), "Thorn"), day("2020-08-02")));
        Policy known = AsKnownBy.replay(DECIDER, history, day("2020-07-15")).orElseThrow();
        assertThat(known.exemptions()).isEmpty();
    }

    /**
     * The limits on exemptions are admission rules of a write (ExemptionLimits), not facts of the
     * history: an event in the history was applied. Replayed without the events not yet known,
     * a grant can meet state the service never held — here an exemption whose revocation is dated
     * after {@code asOf} (so left out) but was applied first — and the text limit, checked again,
     * dropped a grant that was known at {@code asOf} and in force.
     */
    @Test
    void aGrantTheServiceAppliedIsKnownEvenWhereTheReplaysStateWouldBreachALimit() {
        String large = "x".repeat(ExemptionLimits.MAX_ACTIVE_TEXT - 100_000);
        String medium = "y".repeat(110_000);
        List<RecordedEvent> history = List.of(
                new RecordedEvent(PolicyFixtures.announcement("a-1", AMAZON_ID, List.of("police"), FROM, UNTIL,
                        List.of()), FROM),
                new RecordedEvent(PolicyFixtures.grant("g-1", day("2020-07-01"), "Thorn", large), day("2020-07-01")),
                // a revocation dated later than it was sent: applied 2020-07-10, in force from 2020-09-01
                new RecordedEvent(PolicyFixtures.revoke("r-1", day("2020-09-01"), "Thorn"), day("2020-07-10")),
                new RecordedEvent(PolicyFixtures.grant("g-2", day("2020-07-20"), "Marinus Analytics", medium),
                        day("2020-07-20")));
        Instant asOf = day("2020-08-01");
        Policy known = AsKnownBy.replay(DECIDER, history, asOf).orElseThrow();
        assertThat(known.activeExemptionFor("Thorn")).isPresent();
        assertThat(known.activeExemptionFor("Marinus Analytics")).isPresent();
        assertThat(AccessRules.decide(List.of(known), "police", "Marinus Analytics", day("2020-08-01")).allowed()).isTrue();
        // the checkpoints' replay, which answers from a mark, agrees
        HistoryCheckpoints marks = new HistoryCheckpoints(DECIDER, 1, 2);
        for (int i = 0; i < history.size(); i++) {
            marks.accept(i + 1, history.get(i));
        }
        assertThat(marks.startFor(day("2021-01-01")).state().orElseThrow().exemptions()).hasSize(2);
    }

    /** A policy stored with more exemptions than a policy may now keep (before the limit existed) replays whole. */
    @Test
    void aHistoryFromBeforeTheLimitsReplaysWhole() {
        List<RecordedEvent> history = new ArrayList<>();
        history.add(new RecordedEvent(PolicyFixtures.announcement("a-1", AMAZON_ID, List.of("police"), FROM, UNTIL,
                List.of()), FROM));
        for (int i = 0; i <= ExemptionLimits.MAX_EXEMPTIONS; i++) {
            history.add(new RecordedEvent(PolicyFixtures.grant("g-" + i, day("2020-07-01"), "org-" + i, null),
                    day("2020-07-01")));
        }
        Policy known = AsKnownBy.replay(DECIDER, history, day("2020-08-01")).orElseThrow();
        assertThat(known.exemptions()).hasSize(ExemptionLimits.MAX_EXEMPTIONS + 1);
        // while a write past the limit is still refused
        Decision next = DECIDER.decide(Optional.of(known), PolicyFixtures.grant("g-x", day("2020-08-01"), "one-more", null),
                day("2020-08-01"));
        assertThat(next).isInstanceOf(Decision.Rejected.class);
    }
}
