package dev.moratorium.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The jurisdiction rule of CONTRACT.md §5 as tables: which codes are valid, which policy applies where. */
class JurisdictionsTest {

    @ParameterizedTest(name = "{0} valid: {1}")
    @CsvSource(nullValues = "null", value = {
            "US, true", "GB, true", "DE, true", "us, true", "US-CA, true", "GB-ENG, true", "FR-75, true",
            "US-WA, true", "CN-1, true",
            "UK, false", "EU, false", "XX, false", "USA, false", "U, false", "'', false", "null, false",
            "US-, false", "US-CALI, false", "US-C_, false", "-CA, false", "US CA, false", "US-CA-X, false"})
    void validCodes(String code, boolean valid) {
        assertThat(Jurisdictions.isValid(code)).isEqualTo(valid);
        assertThat(Jurisdictions.problem(code).isPresent()).isEqualTo(!valid);
    }

    @ParameterizedTest(name = "policy {0}, caller {1}: applies {2}")
    @CsvSource(nullValues = "null", value = {
            // a policy without a jurisdiction applies everywhere
            "null, US, true", "null, null, true", "null, GB-ENG, true",
            // a caller without one is subject to every policy (contract v1)
            "US, null, true", "US-CA, null, true",
            // a subdivision lies inside its country
            "US, US, true", "US, US-CA, true", "US, us-wa, true", "us, US, true",
            // a policy for a subdivision does not apply to the country nor to another subdivision
            "US-CA, US, false", "US-CA, US-WA, false", "US-CA, US-CA, true", "US-CA, us-ca, true",
            "US, GB, false", "GB, GB-SCT, true", "US, USA, false"})
    void appliesWhereTheCallerIs(String policy, String caller, boolean applies) {
        assertThat(Jurisdictions.applies(policy, caller)).isEqualTo(applies);
    }

    private static final Instant ANNOUNCED = Instant.parse("2020-06-11T00:00:00Z");
    private static final Policy MICROSOFT = new Policy("microsoft-police-us", PolicyKind.MORATORIUM, "Microsoft",
            "Face API", List.of("police"), PolicyStatus.ACTIVE, ANNOUNCED, null, null, List.of(), "US", null, null,
            ANNOUNCED);
    private static final Policy CALIFORNIA = new Policy("ca-police", PolicyKind.MORATORIUM, "Microsoft",
            "Face API", List.of("police"), PolicyStatus.ACTIVE, ANNOUNCED, null, null, List.of(), "US-CA", null, null,
            ANNOUNCED);

    @ParameterizedTest(name = "{0} police in {1}: allowed {2}")
    @CsvSource(nullValues = "null", value = {
            "microsoft, US, false", "microsoft, US-WA, false", "microsoft, GB, true",
            "california, US-CA, false", "california, US, true", "california, US-WA, true"})
    void accessDecisionsHonourTheCallersJurisdiction(String which, String jurisdiction, boolean allowed) {
        Policy policy = which.equals("microsoft") ? MICROSOFT : CALIFORNIA;
        AccessDecision d = AccessRules.decide(List.of(policy), "police", null, jurisdiction,
                Instant.parse("2021-01-01T00:00:00Z"));
        assertThat(d.allowed()).isEqualTo(allowed);
        assertThat(d.reason()).doesNotContain("no jurisdiction given");
        if (allowed) {
            assertThat(d).isEqualTo(new AccessDecision(true, null, "no restriction applies", null));
        }
    }

    @org.junit.jupiter.api.Test
    void withoutAJurisdictionEveryPolicyAppliesAndTheReasonSaysSo() {
        AccessDecision d = AccessRules.decide(List.of(MICROSOFT), "police", null, Instant.parse("2021-01-01T00:00:00Z"));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).isEqualTo("Police access to Microsoft Face API is suspended from 2020-06-11 until"
                + " further notice (microsoft-police-us); no jurisdiction given, so policies of every jurisdiction apply");
        // a policy without a jurisdiction keeps the v1 reason byte for byte
        Policy everywhere = new Policy("p", PolicyKind.MORATORIUM, "Microsoft", "Face API", List.of("police"),
                PolicyStatus.ACTIVE, ANNOUNCED, null, null, List.of(), null, null, null, ANNOUNCED);
        assertThat(AccessRules.decide(List.of(everywhere), "police", null, Instant.parse("2021-01-01T00:00:00Z"))
                .reason()).isEqualTo("Police access to Microsoft Face API is suspended from 2020-06-11 until further"
                        + " notice (p)");
        assertThat(AccessRules.decide(List.of(everywhere), "police", null, "GB", Instant.parse("2021-01-01T00:00:00Z"))
                .reason()).isEqualTo("Police access to Microsoft Face API is suspended from 2020-06-11 until further"
                        + " notice (p)");
    }
}
