package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NotificationMessagesTest {

    private static Policy policy(PolicyKind kind, String vendor, String product, List<String> segments, Instant from,
            Instant until, List<Exemption> exemptions) {
        return new Policy("p", kind, vendor, product, segments, PolicyStatus.ACTIVE, from, until, null, exemptions,
                null, null, null, from);
    }

    private static Policy moratorium(List<String> segments, Instant from, Instant until, Exemption... exemptions) {
        return policy(PolicyKind.MORATORIUM, "Amazon", "Rekognition", segments, from, until, List.of(exemptions));
    }

    static Stream<Arguments> suspensions() {
        return Stream.of(
                arguments(moratorium(List.of("police"), day("2020-06-10"), day("2021-06-10"),
                        Exemption.fromStart("Thorn", "finding missing children"),
                        Exemption.fromStart("Marinus Analytics", "fighting human trafficking")),
                        "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Thorn, Marinus Analytics)."),
                arguments(moratorium(List.of("police", "military"), day("2020-06-10"), day("2021-06-10")),
                        "Police and military access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10."),
                arguments(moratorium(List.of("police", "military", "border guards"), day("2020-06-10"), null),
                        "Police, military and border guards access to Amazon Rekognition suspended from 2020-06-10 until further notice."),
                arguments(moratorium(List.of("*"), day("2020-06-10"), null),
                        "All access to Amazon Rekognition suspended from 2020-06-10 until further notice."),
                arguments(moratorium(List.of("police"), Instant.parse("2020-06-10T22:00:00Z"),
                        Instant.parse("2021-06-10T12:30:45.250Z")),
                        "Police access to Amazon Rekognition suspended from 2020-06-10T22:00:00Z until 2021-06-10T12:30:45Z."),
                arguments(moratorium(List.of("police"), day("2020-06-10"), day("2021-06-10"),
                        Exemption.fromStart("Thorn", null),
                        new Exemption("Marinus Analytics", null, null, day("2020-07-01"))),
                        "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Thorn)."));
    }

    @ParameterizedTest
    @MethodSource("suspensions")
    void suspended(Policy policy, String expected) {
        assertThat(NotificationMessages.suspended(policy)).isEqualTo(expected);
    }

    @Test
    void extended() {
        Policy twoSegments = moratorium(List.of("police", "military"), day("2020-06-10"), day("2022-06-10"));
        assertThat(NotificationMessages.extended(twoSegments, day("2021-06-10"))).isEqualTo(
                "Police and military access to Amazon Rekognition suspended until 2022-06-10 (previously until 2021-06-10).");
        Policy indefinite = moratorium(List.of("police"), day("2020-06-10"), null);
        assertThat(NotificationMessages.extended(indefinite, Instant.parse("2021-06-10T18:00:00Z"))).isEqualTo(
                "Police access to Amazon Rekognition suspended until further notice (previously until 2021-06-10T18:00:00Z).");
    }

    @Test
    void restored() {
        Policy ended = moratorium(List.of("police"), day("2020-06-10"), day("2021-06-10"));
        assertThat(NotificationMessages.restored(ended))
                .isEqualTo("Police access to Amazon Rekognition restored on 2021-06-10: the moratorium ended.");
        Policy lifted = ended.withEnd(Instant.parse("2020-12-01T15:00:00Z"), Instant.parse("2020-12-01T15:00:00Z"));
        assertThat(NotificationMessages.restored(lifted)).isEqualTo(
                "Police access to Amazon Rekognition restored on 2020-12-01T15:00:00Z: the moratorium was lifted.");
        Policy everyone = moratorium(List.of("*"), day("2020-06-10"), day("2021-06-10"));
        assertThat(NotificationMessages.restored(everyone))
                .isEqualTo("All access to Amazon Rekognition restored on 2021-06-10: the moratorium ended.");
    }

    @Test
    void expiryApproaching() {
        Policy police = moratorium(List.of("police"), day("2020-06-10"), day("2021-06-10"));
        assertThat(NotificationMessages.expiryApproaching(police, Duration.ofDays(7)))
                .isEqualTo("Police moratorium on Amazon Rekognition ends in 7 days, on 2021-06-10.");
        assertThat(NotificationMessages.expiryApproaching(police, Duration.ofDays(1)))
                .isEqualTo("Police moratorium on Amazon Rekognition ends in 1 day, on 2021-06-10.");
        Policy two = moratorium(List.of("police", "military"), day("2020-06-10"), day("2021-06-10"));
        assertThat(NotificationMessages.expiryApproaching(two, Duration.ofHours(12)))
                .isEqualTo("Police and military moratorium on Amazon Rekognition ends in 12 hours, on 2021-06-10.");
        Policy everyone = moratorium(List.of("*"), day("2020-06-10"), Instant.parse("2021-06-10T09:00:00Z"));
        assertThat(NotificationMessages.expiryApproaching(everyone, Duration.ofDays(30)))
                .isEqualTo("Moratorium on Amazon Rekognition ends in 30 days, on 2021-06-10T09:00:00Z.");
    }

    @Test
    void withdrawn() {
        Policy ibm = policy(PolicyKind.WITHDRAWAL, "IBM", "general-purpose face recognition", List.of("*"),
                day("2020-06-08"), null, List.of());
        assertThat(NotificationMessages.withdrawn(ibm))
                .isEqualTo("IBM general-purpose face recognition withdrawn for all customers from 2020-06-08.");
        Policy forSome = policy(PolicyKind.WITHDRAWAL, "Acme", "FaceFinder", List.of("police", "military"),
                Instant.parse("2020-06-08T20:00:00Z"), null, List.of());
        assertThat(NotificationMessages.withdrawn(forSome))
                .isEqualTo("Acme FaceFinder withdrawn for police and military from 2020-06-08T20:00:00Z.");
    }

    @Test
    void exemptions() {
        Policy police = moratorium(List.of("police"), day("2020-06-10"), day("2021-06-10"));
        Exemption thorn = Exemption.fromStart("Thorn", "finding missing children");
        assertThat(NotificationMessages.exemptionGranted(police, thorn)).isEqualTo(
                "Thorn exempt from the police moratorium on Amazon Rekognition (finding missing children).");
        assertThat(NotificationMessages.exemptionGranted(police, Exemption.fromStart("Thorn", "  ")))
                .isEqualTo("Thorn exempt from the police moratorium on Amazon Rekognition.");
        assertThat(NotificationMessages.exemptionRevoked(police, thorn))
                .isEqualTo("Thorn no longer exempt from the police moratorium on Amazon Rekognition.");
        Policy everyone = moratorium(List.of("*"), day("2020-06-10"), null);
        assertThat(NotificationMessages.exemptionRevoked(everyone, thorn))
                .isEqualTo("Thorn no longer exempt from the moratorium on Amazon Rekognition.");
        Policy two = moratorium(List.of("police", "military"), day("2020-06-10"), null);
        assertThat(NotificationMessages.exemptionGranted(two, Exemption.fromStart("Thorn", null)))
                .isEqualTo("Thorn exempt from the police and military moratorium on Amazon Rekognition.");
    }

    @Test
    void namesAreShownAsTheAnnouncementSpelledThem() {
        Policy p = policy(PolicyKind.MORATORIUM, "aMaZoN", "reKognition", List.of("Police"), day("2020-06-10"), null,
                List.of(Exemption.fromStart("THORN", null)));
        assertThat(NotificationMessages.suspended(p))
                .isEqualTo("Police access to aMaZoN reKognition suspended from 2020-06-10 until further notice (exempt: THORN).");
    }

    @Test
    void segmentPhrase() {
        assertThat(NotificationMessages.segmentPhrase(List.of("police"))).isEqualTo("police");
        assertThat(NotificationMessages.segmentPhrase(List.of("police", "military"))).isEqualTo("police and military");
        assertThat(NotificationMessages.segmentPhrase(List.of("a", "b", "c", "d"))).isEqualTo("a, b, c and d");
        assertThat(NotificationMessages.segmentPhrase(List.of("*"))).isEmpty();
        assertThat(NotificationMessages.segmentPhrase(List.of("police", "*"))).as("* covers everyone").isEmpty();
    }

    /**
     * A name's bidirectional controls are kept in its fields but not in a sentence: an unclosed
     * right-to-left override in the vendor turned the rest of the line around wherever it was shown.
     */
    @Test
    void bidirectionalControlsInNamesDoNotReachTheSentence() {
        String rlo = "\u202e";
        Policy spoofed = policy(PolicyKind.MORATORIUM, "Amazon" + rlo, "Rek\u2066ognition\u2069", List.of("police" + rlo),
                day("2020-06-10"), day("2021-06-10"), List.of(Exemption.fromStart("\u202dThorn", "missing \u202echildren")));
        assertThat(spoofed.vendor()).isEqualTo("Amazon" + rlo);
        assertThat(NotificationMessages.suspended(spoofed)).isEqualTo(
                "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Thorn).");
        assertThat(NotificationMessages.exemptionGranted(spoofed, spoofed.exemptions().get(0))).isEqualTo(
                "Thorn exempt from the police moratorium on Amazon Rekognition (missing children).");
        assertThat(NotificationMessages.withdrawn(spoofed)).isEqualTo(
                "Amazon Rekognition withdrawn for police from 2020-06-10.");
        String plain = "Amazon Rekognition";
        assertThat(Names.inSentence(plain)).isSameAs(plain);
        assertThat(Names.inSentence("\u200fa\u200eb\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069c"))
                .as("marks kept (they have no scope), every embedding, override and isolate dropped").isEqualTo("\u200fa\u200ebc");
    }
}
