package dev.moratorium.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessRules;
import dev.moratorium.policy.Decision;
import dev.moratorium.policy.EventMeta;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.PolicyEvent;
import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.policy.TimeDrivenChanges;
import dev.moratorium.wire.WireJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The client decides as the service does. Random policies are built the service's way (random
 * event sequences through its PolicyDecider, brought up to "now"), written as the service writes
 * them to moratorium-state (its own WireJson.state, compiled in from the service's sources), read
 * back by the client, and every decision about an instant from "now" on is compared with the
 * service's AccessRules on the service's own state: allowed, policyId and until always, the reason
 * text too except where a withdrawal not started yet decided (the state record cannot say it is a
 * withdrawal; see StateRecords).
 *
 * <p>Instants before "now" are left out on purpose: the state record lists only the exemptions in
 * force, without their intervals (see StateRecords).
 */
class ServiceEquivalenceTest {

    private static final PolicyDecider DECIDER = new PolicyDecider(
            new TimeDrivenChanges(List.of(Duration.ofDays(30), Duration.ofDays(7))));
    private static final Instant BASE = Instant.parse("2020-01-01T00:00:00Z");
    private static final String[] SEGMENTS = {"police", "military", "retail", "*"};
    private static final String[] ORGS = {"Thorn", "Marinus Analytics", "Acme"};
    private static final String[] PLACES = {null, "US", "US-CA", "US-WA", "GB"};

    @Test
    void decidesAsTheServiceDoesOnWhatTheServiceWrites() {
        SplittableRandom random = new SplittableRandom(7);
        int compared = 0;
        int reasons = 0;
        for (int round = 0; round < 300; round++) {
            Instant now = BASE.plus(Duration.ofDays(random.nextInt(1500)));
            List<Policy> service = new ArrayList<>();
            MoratoriumGatewayClient client = MoratoriumGatewayClient.offline(java.time.Clock.systemUTC());
            for (int i = 0; i < 1 + random.nextInt(4); i++) {
                Policy p = randomPolicy(random, "p" + round + "-" + i, now);
                service.add(p);
                client.apply(p.policyId(), WireJson.bytes(WireJson.state(p)));
            }
            for (int q = 0; q < 40; q++) {
                String segment = SEGMENTS[random.nextInt(3)];
                String org = random.nextInt(3) == 0 ? null : ORGS[random.nextInt(ORGS.length)];
                String place = PLACES[random.nextInt(PLACES.length)];
                Instant at = now.plus(Duration.ofDays(random.nextInt(900)));
                AccessDecision expected = AccessRules.decide(service, segment, org, place, at);
                AccessDecision actual = client.decide("Amazon", "Rekognition", segment, org, place, at);
                assertThat(actual.allowed()).as("allowed %s %s %s %s", segment, org, place, at)
                        .isEqualTo(expected.allowed());
                assertThat(actual.policyId()).isEqualTo(expected.policyId());
                assertThat(actual.until()).isEqualTo(expected.until());
                if (!startsLater(service, expected.policyId())) {
                    assertThat(actual.reason()).isEqualTo(expected.reason());
                    reasons++;
                }
                compared++;
            }
        }
        assertThat(compared).isEqualTo(12_000);
        assertThat(reasons).isGreaterThan(10_000);
    }

    /** A withdrawal not started yet: its state record cannot say it is one, so its reason words differ. */
    private static boolean startsLater(List<Policy> service, String policyId) {
        return service.stream().anyMatch(p -> p.policyId().equals(policyId) && p.isWithdrawal()
                && p.status() == PolicyStatus.SCHEDULED);
    }

    private static Policy randomPolicy(SplittableRandom random, String id, Instant now) {
        Instant from = BASE.plus(Duration.ofDays(random.nextInt(1200)));
        Instant announced = from.minus(Duration.ofDays(random.nextInt(30)));
        List<PolicyEvent> events = new ArrayList<>();
        if (random.nextInt(5) == 0) {
            events.add(new PolicyEvent.ProductWithdrawn(meta(id, 0, announced), id, "Amazon", "Rekognition", from,
                    List.of(SEGMENTS[random.nextInt(SEGMENTS.length)]), null, null));
        } else {
            Instant until = random.nextBoolean() ? null : from.plus(Duration.ofDays(1 + random.nextInt(500)));
            List<ExemptionGrant> grants = random.nextBoolean() ? List.of(new ExemptionGrant("Thorn", "children"))
                    : List.of();
            events.add(new PolicyEvent.MoratoriumAnnounced(meta(id, 0, announced), id, "Amazon", "Rekognition",
                    List.of(SEGMENTS[random.nextInt(3)]), from, until, grants, PLACES[random.nextInt(PLACES.length)],
                    null, null));
            Instant t = announced;
            for (int e = 1; e < 5; e++) {
                t = t.plus(Duration.ofDays(1 + random.nextInt(60)));
                String org = ORGS[random.nextInt(ORGS.length)];
                events.add(switch (random.nextInt(4)) {
                    case 0 -> new PolicyEvent.ExemptionGranted(meta(id, e, t), id, org, "research");
                    case 1 -> new PolicyEvent.ExemptionRevoked(meta(id, e, t), id, org, null);
                    case 2 -> new PolicyEvent.MoratoriumExtended(meta(id, e, t), id,
                            random.nextBoolean() ? null : t.plus(Duration.ofDays(400 + random.nextInt(400))), null);
                    default -> new PolicyEvent.MoratoriumLifted(meta(id, e, t), id,
                            t.plus(Duration.ofDays(random.nextInt(100))), null);
                });
            }
        }
        Optional<Policy> state = Optional.empty();
        for (PolicyEvent event : events) {
            if (state.isPresent() && event.meta().time().isAfter(now)) {
                continue; // not yet announced at "now" (an event timed ahead of the clock: see StateRecords)
            }
            Instant received = event.meta().time().isAfter(now) ? now : event.meta().time();
            if (DECIDER.decide(state, event, received) instanceof Decision.Applied applied) {
                state = Optional.of(applied.outcome().state());
            }
        }
        Policy p = DECIDER.time().advance(state.orElseThrow(), now).state();
        assertThat(p.kind() == PolicyKind.WITHDRAWAL || p.status() != PolicyStatus.WITHDRAWN).isTrue();
        return p;
    }

    private static EventMeta meta(String id, int n, Instant time) {
        return new EventMeta(id + "-e" + n, "urn:test", time);
    }
}
