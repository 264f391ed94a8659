package dev.moratorium.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AccessExplanation.PolicyConsidered;
import dev.moratorium.policy.AccessExplanation.Role;
import dev.moratorium.policy.AccessExplanation.Rule;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The explanation reports the decision AccessRules gives, the rule behind it and each policy's part. */
class AccessExplainerTest {

    private static final Instant FROM = Instant.parse("2020-06-10T00:00:00Z");
    private static final Instant UNTIL = Instant.parse("2021-06-10T00:00:00Z");
    private static final Policy AMAZON = new Policy("amazon", PolicyKind.MORATORIUM, "Amazon", "Rekognition",
            List.of("police"), PolicyStatus.EXPIRED, FROM, UNTIL, null,
            List.of(Exemption.fromStart("Thorn", "finding missing children"),
                    new Exemption("Acme Labs", "research", Instant.parse("2020-07-01T00:00:00Z"),
                            Instant.parse("2020-09-01T00:00:00Z"))), null, null, null, FROM);
    private static final Policy LATER = new Policy("amazon-2", PolicyKind.MORATORIUM, "Amazon", "Rekognition",
            List.of("police"), PolicyStatus.SCHEDULED, Instant.parse("2022-01-01T00:00:00Z"), null, null,
            List.of(), "US-CA", null, null, FROM);
    private static final Policy RETAIL = new Policy("retail", PolicyKind.MORATORIUM, "Amazon", "Rekognition",
            List.of("retail"), PolicyStatus.ACTIVE, FROM, null, null, List.of(), null, null, null, FROM);

    @ParameterizedTest(name = "{0} {1} in {2} at {3}: {4}, roles {5}")
    @CsvSource(nullValues = "null", delimiter = '|', value = {
            "police | null      | null  | 2020-12-01 | RESTRICTION_IN_FORCE | DECIDED STARTS_LATER SEGMENT_NOT_COVERED | ACTIVE",
            "police | Thorn     | null  | 2020-12-01 | EXEMPTION            | DECIDED STARTS_LATER SEGMENT_NOT_COVERED | ACTIVE",
            "police | Acme Labs | null  | 2020-12-01 | RESTRICTION_IN_FORCE | DECIDED STARTS_LATER SEGMENT_NOT_COVERED | ACTIVE",
            "police | null      | US-CA | 2021-07-01 | NEXT_RESTRICTION     | NOT_IN_FORCE DECIDED SEGMENT_NOT_COVERED | EXPIRED",
            "police | null      | GB    | 2021-07-01 | NO_RESTRICTION       | NOT_IN_FORCE JURISDICTION_DOES_NOT_APPLY SEGMENT_NOT_COVERED | EXPIRED",
            "retail | null      | GB    | 2021-07-01 | RESTRICTION_IN_FORCE | SEGMENT_NOT_COVERED SEGMENT_NOT_COVERED DECIDED | EXPIRED"})
    void explainsTheDecision(String segment, String organization, String jurisdiction, String at, Rule rule,
            String roles, PolicyStatus amazonStatus) {
        Instant instant = Instant.parse(at + "T00:00:00Z");
        List<Policy> policies = List.of(AMAZON, LATER, RETAIL);
        AccessExplainer.Explained e = AccessExplainer.explain(policies, segment, organization, jurisdiction, instant, null);
        assertThat(e.decision()).isEqualTo(AccessRules.decide(policies, segment, organization, jurisdiction, instant));
        assertThat(e.explanation().rule()).isEqualTo(rule);
        assertThat(e.explanation().policies().stream().map(p -> p.role().name()).toList())
                .containsExactly(roles.split(" "));
        assertThat(e.explanation().policies().get(0).statusAt()).isEqualTo(amazonStatus);
    }

    @org.junit.jupiter.api.Test
    void saysWhyNoExemptionMatched() {
        Instant instant = Instant.parse("2020-12-01T00:00:00Z");
        PolicyConsidered revoked = AccessExplainer.explain(List.of(AMAZON), "police", "acme labs", null, instant, null)
                .explanation().policies().get(0);
        assertThat(revoked.exemption().matched()).isFalse();
        assertThat(revoked.exemption().why()).isEqualTo("the exemption for Acme Labs was revoked on 2020-09-01");
        PolicyConsidered none = AccessExplainer.explain(List.of(AMAZON), "police", "Other", null, instant, null)
                .explanation().policies().get(0);
        assertThat(none.exemption().why()).isEqualTo("Other holds no exemption from amazon");
        PolicyConsidered thorn = AccessExplainer.explain(List.of(AMAZON), "police", "THORN", null, instant, null)
                .explanation().policies().get(0);
        assertThat(thorn.exemption().matched()).isTrue();
        assertThat(thorn.exemption().organization()).isEqualTo("Thorn");
        assertThat(thorn.exemption().purpose()).isEqualTo("finding missing children");
    }
}
