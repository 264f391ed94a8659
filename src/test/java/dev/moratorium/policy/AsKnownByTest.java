package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.AMAZON_ID;
import static dev.moratorium.policy.PolicyFixtures.FROM;
import static dev.moratorium.policy.PolicyFixtures.UNTIL;
import static dev.moratorium.policy.PolicyFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import java.time.Instant;
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
}
