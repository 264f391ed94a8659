package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.AMAZON_ID;
import static dev.moratorium.policy.PolicyFixtures.FROM;
import static dev.moratorium.policy.PolicyFixtures.UNTIL;
import static dev.moratorium.policy.PolicyFixtures.announcement;
import static dev.moratorium.policy.PolicyFixtures.applied;
import static dev.moratorium.policy.PolicyFixtures.grant;
import static dev.moratorium.policy.PolicyFixtures.rejected;
import static dev.moratorium.policy.PolicyFixtures.revoke;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A policy keeps at most 1,000 exemptions carrying at most 524,288 characters, and the ones in
 * force carry at most 262,144.
 */
class ExemptionLimitsTest {

    private static final PolicyDecider DECIDER = new PolicyDecider(PolicyFixtures.defaultTime());
    private static final Instant NOW = FROM.plus(Duration.ofDays(1));

    private Policy policy = applied(DECIDER.decide(Optional.empty(),
            announcement("a", AMAZON_ID, List.of("police"), FROM, UNTIL, List.of()), NOW)).state();
    private int events;

    private Decision apply(PolicyEvent event) {
        Decision d = DECIDER.decide(Optional.of(policy), event, NOW);
        if (d instanceof Decision.Applied a) {
            policy = a.outcome().state();
        }
        return d;
    }

    private Decision grantTo(String organization, String purpose) {
        return apply(grant("g" + ++events, NOW, organization, purpose));
    }

    private Decision revokeFrom(String organization) {
        return apply(revoke("r" + ++events, NOW, organization));
    }

    @Test
    void grantsAndRevocationsStopAtAThousandExemptionsKept() {
        for (int i = 1; i <= 999; i++) {
            applied(grantTo("Org " + i, null));
            applied(revokeFrom("Org " + i));
        }
        applied(grantTo("Org 1000", null)); // the 1,000th: kept, in force
        assertThat(policy.exemptions()).hasSize(1_000);

        Rejection refused = rejected(grantTo("Org 1001", null));
        assertThat(refused.reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        assertThat(refused.message()).isEqualTo("data.organization \"Org 1001\" would make policy \"" + AMAZON_ID
                + "\" keep 1001 exemptions, granted and revoked; a policy keeps at most 1000 (revoked ones still"
                + " decide access at the instants they were held): announce a new policy to grant more");
        // granting a revoked organization again is a new exemption, so refused too
        assertThat(rejected(grantTo("Org 1", null)).reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        assertThat(policy.exemptions()).hasSize(1_000);

        // what does not add one still works at the limit: a new purpose in place, a revocation
        applied(grantTo("Org 1000", "a purpose given later"));
        assertThat(policy.activeExemptionFor("Org 1000").orElseThrow().purpose()).isEqualTo("a purpose given later");
        applied(revokeFrom("Org 1000"));
        assertThat(policy.activeExemptions()).isEmpty();
        assertThat(policy.exemptions()).hasSize(1_000);
    }

    @Test
    void theExemptionsInForceCarryAtMost256KiCharacters() {
        String purpose = "理".repeat(4_000); // the longest purpose, in a script of three UTF-8 bytes a character
        for (int i = 0; i < 64; i++) {
            applied(grantTo(organization(i), purpose)); // 96 + 4,000 characters each
        }
        assertThat(ExemptionLimits.activeText(policy)).isEqualTo(ExemptionLimits.MAX_ACTIVE_TEXT);

        Rejection refused = rejected(grantTo("X", null));
        assertThat(refused.reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        assertThat(refused.message()).isEqualTo("data.organization \"X\" would make the exemptions in force on policy \""
                + AMAZON_ID + "\" carry 262145 UTF-16 units of organization and purpose; at most 262144 fit the policy's"
                + " state record");
        // a longer purpose for one already in force is refused; a shorter one, or a revocation, is not
        assertThat(rejected(grantTo(organization(0), purpose + "!")).reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        applied(grantTo(organization(0), "short"));
        applied(grantTo("X", null));
        applied(revokeFrom(organization(1)));
        assertThat(ExemptionLimits.activeText(policy)).isLessThan(ExemptionLimits.MAX_ACTIVE_TEXT);
    }

    /**
     * Revoked exemptions are kept, and their text with them: the grants and revocations of one
     * organization each are refused once the kept text would pass 524,288 characters, far below
     * the 1,000 exemptions' own limit, and a revocation never is.
     */
    @Test
    void theExemptionsKeptCarryAtMost512KiCharacters() {
        String purpose = "理".repeat(4_000);
        for (int i = 0; i < 127; i++) {
            applied(grantTo(organization(i), purpose)); // 4,096 characters each
            applied(revokeFrom(organization(i)));
        }
        applied(grantTo(organization(127), purpose)); // the 128th: exactly at the limit
        assertThat(ExemptionLimits.keptText(policy)).isEqualTo(ExemptionLimits.MAX_KEPT_TEXT).isEqualTo(524_288);
        assertThat(ExemptionLimits.activeText(policy)).isEqualTo(4_096);

        Rejection refused = rejected(grantTo("X", null));
        assertThat(refused.reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        assertThat(refused.message()).isEqualTo("data.organization \"X\" would make the exemptions of policy \""
                + AMAZON_ID + "\", granted and revoked, carry 524289 UTF-16 units of organization and purpose; a policy"
                + " keeps at most 524288 (revoked ones still decide access at the instants they were held): announce a"
                + " new policy to grant more");
        assertThat(policy.exemptions()).hasSize(128);

        // a shorter purpose in place, a revocation: still taken; then room for a short grant again
        applied(grantTo(organization(127), "short"));
        applied(revokeFrom(organization(127)));
        applied(grantTo("X", null));
        assertThat(ExemptionLimits.keptText(policy)).isLessThanOrEqualTo(ExemptionLimits.MAX_KEPT_TEXT);
    }

    /**
     * A policy stored past the limit before it existed (129 revoked exemptions and one in force,
     * 532,480 characters): a grant that adds text is refused, but a shorter purpose and a revocation
     * are still taken.
     */
    @Test
    void aPolicyKeptPastTheLimitCanStillShrinkButNotGrow() {
        String purpose = "理".repeat(4_000);
        List<Exemption> kept = new java.util.ArrayList<>();
        for (int i = 0; i < 130; i++) {
            kept.add(new Exemption(organization(i), purpose, NOW.minusSeconds(60), i < 129 ? NOW.minusSeconds(30) : null));
        }
        Policy p = policy;
        policy = new Policy(p.policyId(), p.kind(), p.vendor(), p.product(), p.segments(), p.status(), p.effectiveFrom(),
                p.effectiveUntil(), p.liftedAt(), kept, p.jurisdiction(), p.reason(), p.sourceUrl(), p.evaluatedAt());
        assertThat(ExemptionLimits.keptText(policy)).isEqualTo(532_480).isGreaterThan(ExemptionLimits.MAX_KEPT_TEXT);

        assertThat(rejected(grantTo("X", null)).message()).contains("carry 532481 UTF-16 units");
        applied(grantTo(organization(129), "short"));
        applied(revokeFrom(organization(129)));
        assertThat(ExemptionLimits.keptText(policy)).isEqualTo(532_480 - 4_000 + 5);
        assertThat(rejected(grantTo("X", null)).reason()).isEqualTo(RejectionReason.INVALID_FIELD);
    }

    @Test
    void anAnnouncementListsAtMostAThousandExemptions() {
        List<ExemptionGrant> thousand = IntStream.rangeClosed(1, 1_000).mapToObj(i -> new ExemptionGrant("Org " + i, null))
                .toList();
        assertThat(applied(DECIDER.decide(Optional.empty(),
                announcement("b", "b", List.of("police"), FROM, UNTIL, thousand), NOW)).state().exemptions()).hasSize(1_000);
        List<ExemptionGrant> more = IntStream.rangeClosed(1, 1_001).mapToObj(i -> new ExemptionGrant("Org " + i, null))
                .toList();
        Rejection refused = rejected(DECIDER.decide(Optional.empty(),
                announcement("c", "c", List.of("police"), FROM, UNTIL, more), NOW));
        assertThat(refused.reason()).isEqualTo(RejectionReason.INVALID_FIELD);
        assertThat(refused.message()).startsWith("data.exemptions would make policy \"c\" keep 1001 exemptions");
    }

    private static String organization(int i) {
        String name = "Org " + i + " ";
        return name + "a".repeat(96 - name.length());
    }
}
