package dev.moratorium.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import dev.moratorium.policy.PolicyEvent.ExemptionGranted;
import dev.moratorium.policy.PolicyEvent.ExemptionRevoked;
import dev.moratorium.policy.PolicyEvent.MoratoriumAnnounced;
import dev.moratorium.policy.PolicyEvent.MoratoriumExtended;
import dev.moratorium.policy.PolicyEvent.MoratoriumLifted;
import dev.moratorium.policy.PolicyEvent.ProductWithdrawn;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/** The seed story and small builders for domain events and states, shared by the policy tests. */
final class PolicyFixtures {

    static final String SOURCE = "urn:example:policy-desk";

    static final String AMAZON_ID = "amazon-rekognition-police-2020";
    static final String AMAZON_EVENT = "seed-amazon-2020-06-10";
    static final Instant AMAZON_TIME = Instant.parse("2020-06-10T22:00:00Z");
    static final Instant FROM = day("2020-06-10");
    static final Instant UNTIL = day("2021-06-10");

    static final String IBM_ID = "ibm-face-recognition-withdrawal";
    static final String IBM_EVENT = "seed-ibm-2020-06-08";
    static final Instant IBM_TIME = Instant.parse("2020-06-08T20:00:00Z");
    static final Instant IBM_FROM = day("2020-06-08");

    static final String AMAZON_SUSPENDED =
            "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Thorn, Marinus Analytics).";
    static final String AMAZON_RESTORED = "Police access to Amazon Rekognition restored on 2021-06-10: the moratorium ended.";
    static final String IBM_WITHDRAWN = "IBM general-purpose face recognition withdrawn for all customers from 2020-06-08.";

    private PolicyFixtures() {
    }

    static Instant day(String date) {
        return LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    static TimeDrivenChanges defaultTime() {
        return new TimeDrivenChanges(List.of(Duration.ofDays(30), Duration.ofDays(7)));
    }

    static EventMeta meta(String id, Instant time) {
        return new EventMeta(id, SOURCE, time);
    }

    static MoratoriumAnnounced amazonAnnouncement() {
        return new MoratoriumAnnounced(meta(AMAZON_EVENT, AMAZON_TIME), AMAZON_ID, "Amazon", "Rekognition",
                List.of("police"), FROM, UNTIL,
                List.of(new ExemptionGrant("Thorn", "finding missing children"),
                        new ExemptionGrant("Marinus Analytics", "fighting human trafficking")),
                "US", "A one-year moratorium.", "https://example.org/amazon");
    }

    static MoratoriumAnnounced announcement(String eventId, String policyId, List<String> segments, Instant from,
            Instant until, List<ExemptionGrant> exemptions) {
        return new MoratoriumAnnounced(meta(eventId, from), policyId, "Amazon", "Rekognition", segments, from, until,
                exemptions, null, null, null);
    }

    static ProductWithdrawn ibmWithdrawal() {
        return new ProductWithdrawn(meta(IBM_EVENT, IBM_TIME), IBM_ID, "IBM", "general-purpose face recognition",
                IBM_FROM, List.of(Names.EVERYONE), "IBM is concerned.", null);
    }

    static MoratoriumExtended extension(String eventId, Instant time, Instant until) {
        return new MoratoriumExtended(meta(eventId, time), AMAZON_ID, until, null);
    }

    static MoratoriumLifted lift(String eventId, Instant time, Instant effectiveAt) {
        return new MoratoriumLifted(meta(eventId, time), AMAZON_ID, effectiveAt, null);
    }

    static ExemptionGranted grant(String eventId, Instant time, String organization, String purpose) {
        return new ExemptionGranted(meta(eventId, time), AMAZON_ID, organization, purpose);
    }

    static ExemptionRevoked revoke(String eventId, Instant time, String organization) {
        return new ExemptionRevoked(meta(eventId, time), AMAZON_ID, organization, null);
    }

    /** A police moratorium on Amazon Rekognition, built directly (no exemptions). */
    static Policy moratorium(PolicyStatus status, Instant from, Instant until, Instant evaluatedAt) {
        return new Policy(AMAZON_ID, PolicyKind.MORATORIUM, "Amazon", "Rekognition", List.of("police"), status, from,
                until, null, List.of(), null, null, null, evaluatedAt);
    }

    static Outcome applied(Decision decision) {
        assertThat(decision).as("decision").isInstanceOf(Decision.Applied.class);
        return ((Decision.Applied) decision).outcome();
    }

    static Rejection rejected(Decision decision) {
        assertThat(decision).as("decision").isInstanceOf(Decision.Rejected.class);
        return ((Decision.Rejected) decision).rejection();
    }

    static List<NotificationType> types(Outcome outcome) {
        return outcome.notifications().stream().map(Notification::type).toList();
    }

    static List<String> messages(Outcome outcome) {
        return outcome.notifications().stream().map(Notification::message).toList();
    }

    static List<PolicyStatus> statuses(Outcome outcome) {
        return outcome.stateChanges().stream().map(Policy::status).toList();
    }
}
