package dev.moratorium.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Access decisions at any instant: intervals, segments, exemptions with their own intervals, withdrawals. */
class AccessRulesTest {

    private static final Instant FROM = Instant.parse("2020-06-10T00:00:00Z");
    private static final Instant UNTIL = Instant.parse("2021-06-10T00:00:00Z");
    private static final Instant REVOKED = Instant.parse("2020-09-01T00:00:00Z");

    private static final Policy AMAZON = new Policy("amazon", PolicyKind.MORATORIUM, "Amazon", "Rekognition",
            List.of("police"), PolicyStatus.ACTIVE, FROM, UNTIL, null,
            List.of(Exemption.fromStart("Thorn", "finding missing children"),
                    new Exemption("Acme Labs", "research", Instant.parse("2020-07-01T00:00:00Z"), REVOKED)),
            null, null, null, FROM);
    private static final Policy LATER = new Policy("amazon-2", PolicyKind.MORATORIUM, "Amazon", "Rekognition",
            List.of("police", "military"), PolicyStatus.SCHEDULED, Instant.parse("2022-01-01T00:00:00Z"), null, null,
            List.of(), null, null, null, FROM);
    private static final Policy IBM = new Policy("ibm", PolicyKind.WITHDRAWAL, "IBM", "FR", List.of("*"),
            PolicyStatus.WITHDRAWN, Instant.parse("2020-06-08T00:00:00Z"), null, null, List.of(), null, null, null, FROM);

    static Stream<Arguments> decisions() {
        return Stream.of(
                // policies, segment, organization, at, allowed, policyId, until
                Arguments.of(List.of(AMAZON), "police", null, "2020-06-09T23:59:59Z", true, "amazon", FROM),
                Arguments.of(List.of(AMAZON), "police", null, "2020-06-10T00:00:00Z", false, "amazon", UNTIL),
                Arguments.of(List.of(AMAZON), "POLICE", null, "2021-06-09T23:59:59Z", false, "amazon", UNTIL),
                Arguments.of(List.of(AMAZON), "police", null, "2021-06-10T00:00:00Z", true, null, null),
                Arguments.of(List.of(AMAZON), "retail", null, "2020-12-01T00:00:00Z", true, null, null),
                Arguments.of(List.of(AMAZON), "police", "thorn", "2020-12-01T00:00:00Z", true, "amazon", UNTIL),
                Arguments.of(List.of(AMAZON), "police", "Other", "2020-12-01T00:00:00Z", false, "amazon", UNTIL),
                // an exemption holds only between its grant and its revocation
                Arguments.of(List.of(AMAZON), "police", "Acme Labs", "2020-06-20T00:00:00Z", false, "amazon", UNTIL),
                Arguments.of(List.of(AMAZON), "police", "acme labs", "2020-08-01T00:00:00Z", true, "amazon", REVOKED),
                Arguments.of(List.of(AMAZON), "police", "Acme Labs", "2020-09-01T00:00:00Z", false, "amazon", UNTIL),
                // after one moratorium, the next one scheduled is named with its start
                Arguments.of(List.of(AMAZON, LATER), "police", null, "2021-07-01T00:00:00Z", true, "amazon-2",
                        Instant.parse("2022-01-01T00:00:00Z")),
                Arguments.of(List.of(AMAZON, LATER), "military", null, "2023-01-01T00:00:00Z", false, "amazon-2", null),
                // a withdrawal for everyone denies every segment from its start
                Arguments.of(List.of(IBM), "anyone", "Thorn", "2026-01-01T00:00:00Z", false, "ibm", null),
                Arguments.of(List.of(IBM), "anyone", null, "2020-06-07T00:00:00Z", true, "ibm",
                        Instant.parse("2020-06-08T00:00:00Z")),
                Arguments.of(List.of(), "police", null, "2020-06-11T00:00:00Z", true, null, null));
    }

    @ParameterizedTest
    @MethodSource("decisions")
    void decides(List<Policy> policies, String segment, String organization, String at, boolean allowed,
            String policyId, Instant until) {
        AccessDecision d = AccessRules.decide(policies, segment, organization, Instant.parse(at));
        assertThat(d.allowed()).isEqualTo(allowed);
        assertThat(d.policyId()).isEqualTo(policyId);
        assertThat(d.until()).isEqualTo(until);
        assertThat(d.reason()).isNotBlank();
        if (policyId != null) {
            assertThat(d.reason()).as("the reason names the deciding policy").contains(policyId);
        }
    }

    /**
     * Ties are decided by the policies' fields, not by their order: the service's index and a
     * gateway client's view hold a product's policies in different orders.
     */
    @org.junit.jupiter.api.Test
    void tiesDoNotDependOnTheOrderOfThePolicies() {
        Instant later = Instant.parse("2020-08-01T00:00:00Z");
        Instant revoke = Instant.parse("2021-01-01T00:00:00Z");
        Policy a = policy("tie-a", FROM, UNTIL, List.of(Exemption.fromStart("Thorn", null)));
        Policy b = policy("tie-b", later, UNTIL, List.of(new Exemption("Thorn", null, FROM, revoke)));
        Policy c = policy("tie-c", FROM, UNTIL, List.of(Exemption.fromStart("Thorn", null)));
        Policy d = policy("tie-d", Instant.parse("2023-01-01T00:00:00Z"), null, List.of());
        Policy e = policy("tie-e", Instant.parse("2023-01-01T00:00:00Z"), null, List.of());
        Instant at = Instant.parse("2020-12-01T00:00:00Z");
        for (List<Policy> order : List.of(List.of(a, b, c, d, e), List.of(e, d, c, b, a), List.of(b, c, a, e, d))) {
            // same end: the one that started first, then the smaller id
            assertThat(AccessRules.decide(order, "police", null, at).policyId()).isEqualTo("tie-a");
            // exempt from all: the exemption that ends first (revoked on 2021-01-01)
            AccessDecision exempt = AccessRules.decide(order, "police", "Thorn", at);
            assertThat(exempt.policyId()).isEqualTo("tie-b");
            assertThat(exempt.until()).isEqualTo(revoke);
            // two start on the same day: the smaller id
            assertThat(AccessRules.decide(order, "police", null, Instant.parse("2019-01-01T00:00:00Z")).policyId())
                    .isEqualTo("tie-a");
            assertThat(AccessRules.decide(order, "police", null, Instant.parse("2022-01-01T00:00:00Z")).policyId())
                    .isEqualTo("tie-d");
        }
    }

    static Stream<Arguments> callersSpellings() {
        return Stream.of(
                Arguments.of("police", "Police access to"),
                Arguments.of("POLICE", "Police access to"),
                Arguments.of("police\u200b", "Police access to"),
                Arguments.of("\uff50\uff4f\uff4c\uff49\uff43\uff45", "Police access to"),
                Arguments.of("  Police  ", "Police access to"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("callersSpellings")
    void aDenialNamesTheSegmentAsThePolicySpellsItNotAsTheCallerAsked(String asked, String expectedStart) {
        AccessDecision d = AccessRules.decide(List.of(AMAZON), asked, null, Instant.parse("2020-12-01T00:00:00Z"));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).isEqualTo(expectedStart + " Amazon Rekognition is suspended from 2020-06-10 until"
                + " 2021-06-10 (amazon)");
    }

    @org.junit.jupiter.api.Test
    void aDenialByAMoratoriumOnEveryoneSaysAllAsItsNotificationDoes() {
        Policy everyone = new Policy("all", PolicyKind.MORATORIUM, "Acme", "Vision", List.of("*"),
                PolicyStatus.ACTIVE, FROM, UNTIL, null, List.of(), null, null, null, FROM);
        Policy twoSegments = new Policy("two", PolicyKind.MORATORIUM, "Acme", "Vision", List.of("Border Guards", "*"),
                PolicyStatus.ACTIVE, FROM, UNTIL, null, List.of(), null, null, null, FROM);
        Instant at = Instant.parse("2020-12-01T00:00:00Z");
        assertThat(AccessRules.decide(List.of(everyone), "Po\u200blice", null, at).reason())
                .isEqualTo("All access to Acme Vision is suspended from 2020-06-10 until 2021-06-10 (all)");
        assertThat(AccessRules.decide(List.of(twoSegments), "border  guards", null, at).reason())
                .startsWith("Border Guards access to Acme Vision");
        assertThat(AccessRules.decide(List.of(twoSegments), "retail", null, at).reason())
                .startsWith("All access to Acme Vision");
    }

    /**
     * readsExemptions names every policy whose exemptions a decision reads: with the others'
     * exemptions taken away, every decision and every explanation is the same (what lets the
     * access index keep a policy without its exemptions and read them only when asked).
     */
    @org.junit.jupiter.api.Test
    void aPolicyWhoseExemptionsADecisionDoesNotReadCanBeHeldWithoutThem() {
        List<Policy> all = mixedPolicies();
        int checked = 0;
        for (String segment : List.of("police", "military", "marketing")) {
            for (String jurisdiction : java.util.Arrays.asList(null, "US-CA", "US-NY", "GB")) {
                for (String organization : List.of("Thorn", "thorn", "Acme Labs", "Nobody")) {
                    for (String at : List.of("2019-06-01", "2020-06-10", "2020-08-01", "2020-10-01", "2021-03-01",
                            "2022-02-01", "9999-12-31")) {
                        Instant instant = Instant.parse(at + "T00:00:00Z");
                        List<Policy> decisionOnly = all.stream().map(p -> AccessRules.readsExemptions(p, segment,
                                jurisdiction, instant) ? p : p.withExemptions(List.of())).toList();
                        assertThat(AccessRules.decide(decisionOnly, segment, organization, jurisdiction, instant))
                                .isEqualTo(AccessRules.decide(all, segment, organization, jurisdiction, instant));
                        List<Policy> explanationOnly = all.stream().map(p -> AccessExplainer.readsExemptions(p, segment,
                                jurisdiction) ? p : p.withExemptions(List.of())).toList();
                        assertThat(AccessExplainer.explain(explanationOnly, segment, organization, jurisdiction, instant,
                                null)).isEqualTo(AccessExplainer.explain(all, segment, organization, jurisdiction,
                                instant, null));
                        checked += decisionOnly.equals(all) ? 0 : 1;
                    }
                }
            }
        }
        assertThat(checked).as("cases where some policy's exemptions were taken away").isGreaterThan(100);
    }

    /**
     * withExemptionsOnlyOf keeps all a decision or an explanation reads of a policy for one caller:
     * with only the named organization's exemptions (in any spelling that names it: case, full-width
     * letters, a zero-width space), or none when no organization is named, every decision and every
     * explanation is the same (what lets an as-of read hold each policy of a product so).
     */
    @org.junit.jupiter.api.Test
    void aPolicyWithOnlyTheCallersExemptionsDecidesAsTheWholeOne() {
        List<Policy> istanbul = List.of(policy("istanbul", FROM, null, List.of(Exemption.fromStart("İstanbul Lab", "dotted"),
                Exemption.fromStart("Thorn", "there too"))));
        List<Policy> all = new ArrayList<>(mixedPolicies());
        all.addAll(istanbul);
        List<String> organizations = java.util.Arrays.asList("Thorn", "THORN", "\uff34\uff48\uff4f\uff52\uff4e",
                "Th\u200born", "Acme Labs", "Nobody", "İSTANBUL LAB", "istanbul lab", "i\u0307stanbul lab", null);
        int reduced = 0;
        for (String segment : List.of("police", "marketing")) {
            for (String jurisdiction : java.util.Arrays.asList(null, "US-CA", "GB")) {
                for (String organization : organizations) {
                    for (String at : List.of("2019-06-01", "2020-08-01", "2020-10-01", "2021-03-01", "9999-12-31")) {
                        Instant instant = Instant.parse(at + "T00:00:00Z");
                        List<Policy> callersOnly = all.stream().map(p -> p.withExemptionsOnlyOf(organization)).toList();
                        assertThat(AccessRules.decide(callersOnly, segment, organization, jurisdiction, instant))
                                .isEqualTo(AccessRules.decide(all, segment, organization, jurisdiction, instant));
                        assertThat(AccessExplainer.explain(callersOnly, segment, organization, jurisdiction, instant,
                                null)).isEqualTo(AccessExplainer.explain(all, segment, organization, jurisdiction,
                                instant, null));
                        reduced += callersOnly.equals(all) ? 0 : 1;
                    }
                }
            }
        }
        assertThat(reduced).as("cases where exemptions were taken away").isEqualTo(2 * 3 * organizations.size() * 5);
        assertThat(istanbul.get(0).withExemptionsOnlyOf("i\u0307stanbul lab").exemptions()).extracting(Exemption::organization)
                .containsExactly("İstanbul Lab");
        assertThat(all.get(3).withExemptionsOnlyOf("thorn").exemptions()).extracting(Exemption::organization)
                .containsExactly("Thorn");
    }

    /** Policies of one product with exemptions held, revoked, later and regional. */
    private static List<Policy> mixedPolicies() {
        Policy exemptsLater = policy("later-exempt", Instant.parse("2021-01-01T00:00:00Z"), null,
                List.of(Exemption.fromStart("Thorn", "from the start"),
                        new Exemption("Acme Labs", "for a while", FROM, REVOKED)));
        Policy regional = new Policy("regional", PolicyKind.MORATORIUM, "Acme", "Vision", List.of("police"),
                PolicyStatus.ACTIVE, FROM, UNTIL, null, List.of(Exemption.fromStart("Thorn", "regional")), "US-CA",
                null, null, FROM);
        return List.of(AMAZON, LATER, IBM, exemptsLater, regional,
                policy("expired", Instant.parse("2019-01-01T00:00:00Z"), FROM, List.of(Exemption.fromStart("Thorn", "old"))));
    }

    private static Policy policy(String id, Instant from, Instant until, List<Exemption> exemptions) {
        return new Policy(id, PolicyKind.MORATORIUM, "Acme", "Vision", List.of("police"),
                PolicyStatus.SCHEDULED, from, until, null, exemptions, null, null, null, FROM);
    }

    /** The reason a gateway logs or shows, as the notification's sentence, without a name's bidirectional controls. */
    @org.junit.jupiter.api.Test
    void reasonsLeaveOutBidirectionalControls() {
        Policy spoofed = new Policy("spoofed", PolicyKind.MORATORIUM, "\u202eAmazon", "Rekognition\u202e",
                List.of("police\u2067"), PolicyStatus.ACTIVE, FROM, UNTIL, null,
                List.of(Exemption.fromStart("Thorn\u202e", "finding \u202emissing children")), null, null, null, FROM);
        Instant at = Instant.parse("2020-08-01T00:00:00Z");
        assertThat(AccessRules.decide(List.of(spoofed), "police", null, at).reason()).isEqualTo(
                "Police access to Amazon Rekognition is suspended from 2020-06-10 until 2021-06-10 (spoofed)");
        assertThat(AccessRules.decide(List.of(spoofed), "police", "thorn", at).reason())
                .isEqualTo("Thorn is exempt from moratorium spoofed (finding missing children)");
    }
}
