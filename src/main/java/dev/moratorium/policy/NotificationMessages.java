package dev.moratorium.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The plain English sentences of CONTRACT.md §2, for a dashboard or a chat channel.
 * Names are shown as the announcing event spelled them, less bidirectional controls ({@link Names#inSentence}).
 */
public final class NotificationMessages {

    private NotificationMessages() {
    }

    /** "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Thorn, Marinus Analytics)." */
    public static String suspended(Policy p) {
        String exempt = p.activeExemptions().isEmpty() ? ""
                : " (exempt: " + p.activeExemptions().stream().map(e -> Names.inSentence(e.organization()))
                        .collect(Collectors.joining(", ")) + ")";
        return accessTo(p) + " suspended from " + TimeText.of(p.effectiveFrom()) + " " + until(p.effectiveUntil())
                + exempt + ".";
    }

    /** "Police access to Amazon Rekognition suspended until further notice (previously until 2021-06-10)." */
    public static String extended(Policy p, Instant previousUntil) {
        return accessTo(p) + " suspended " + until(p.effectiveUntil()) + " (previously " + until(previousUntil) + ").";
    }

    /** "Police access to Amazon Rekognition restored on 2021-06-10: the moratorium ended." */
    public static String restored(Policy p) {
        boolean lifted = p.liftedAt() != null;
        Instant on = lifted ? p.liftedAt() : p.effectiveUntil();
        return accessTo(p) + " restored on " + TimeText.of(on) + ": the moratorium "
                + (lifted ? "was lifted." : "ended.");
    }

    /** "Police moratorium on Amazon Rekognition ends in 7 days, on 2021-06-10." */
    public static String expiryApproaching(Policy p, Duration lead) {
        String segments = segmentPhrase(p.segments());
        String subject = segments.isEmpty() ? "Moratorium" : capitalize(segments) + " moratorium";
        return subject + " on " + vendorProduct(p) + " ends in " + TimeText.of(lead) + ", on "
                + TimeText.of(p.effectiveUntil()) + ".";
    }

    /** "IBM general-purpose face recognition withdrawn for all customers from 2020-06-08." */
    public static String withdrawn(Policy p) {
        String whom = p.coversEveryone() ? "all customers" : segmentPhrase(p.segments());
        return vendorProduct(p) + " withdrawn for " + whom + " from " + TimeText.of(p.effectiveFrom()) + ".";
    }

    /** "Thorn exempt from the police moratorium on Amazon Rekognition (finding missing children)." */
    public static String exemptionGranted(Policy p, Exemption e) {
        String purpose = e.purpose() == null || e.purpose().isBlank() ? "" : " (" + Names.inSentence(e.purpose()) + ")";
        return Names.inSentence(e.organization()) + " exempt from " + theMoratorium(p) + purpose + ".";
    }

    /** "Thorn no longer exempt from the police moratorium on Amazon Rekognition." */
    public static String exemptionRevoked(Policy p, Exemption e) {
        return Names.inSentence(e.organization()) + " no longer exempt from " + theMoratorium(p) + ".";
    }

    private static String accessTo(Policy p) {
        String segments = segmentPhrase(p.segments());
        return (segments.isEmpty() ? "All" : capitalize(segments)) + " access to " + vendorProduct(p);
    }

    private static String theMoratorium(Policy p) {
        String segments = segmentPhrase(p.segments());
        return "the " + (segments.isEmpty() ? "" : segments + " ") + "moratorium on " + vendorProduct(p);
    }

    private static String until(Instant until) {
        return until == null ? "until further notice" : "until " + TimeText.of(until);
    }

    /** "Amazon Rekognition", as every sentence of the service names a policy's product (AccessRules too). */
    static String vendorProduct(Policy p) {
        return Names.inSentence(p.vendor()) + " " + Names.inSentence(p.product());
    }

    /** "police", "police and military", "police, military and border"; empty for everyone. */
    static String segmentPhrase(List<String> named) {
        if (named.contains(Names.EVERYONE)) {
            return "";
        }
        List<String> segments = named.stream().map(Names::inSentence).toList();
        if (segments.size() == 1) {
            return segments.get(0);
        }
        return String.join(", ", segments.subList(0, segments.size() - 1)) + " and " + segments.get(segments.size() - 1);
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
