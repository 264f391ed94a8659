package dev.moratorium.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.moratorium.policy.AccessDecision;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Writes an {@link AccessDecision} as JSON by hand: {@code /access} is the hottest path of the
 * service, and Jackson's bean serialisation was a quarter of its time (async-profiler,
 * bench/decisions). The output is byte for byte what the application's ObjectMapper writes (the
 * record's four fields in order, nulls written, instants as ISO-8601 strings, strings escaped by
 * Jackson's own encoder); {@code AccessDecisionJsonTest} compares the two on many decisions.
 */
final class AccessDecisionJson {

    private static final JsonStringEncoder ENCODER = JsonStringEncoder.getInstance();
    private static final long SECONDS_PER_DAY = 86_400;
    private static final long FIRST_OF_YEAR_1 = -62_135_596_800L; // 0001-01-01T00:00:00Z
    private static final long FIRST_OF_YEAR_10000 = 253_402_300_800L; // 10000-01-01T00:00:00Z

    private AccessDecisionJson() {
    }

    static String write(AccessDecision d) {
        StringBuilder b = new StringBuilder(64 + (d.reason() == null ? 0 : d.reason().length()));
        b.append("{\"allowed\":").append(d.allowed());
        b.append(",\"policyId\":");
        string(b, d.policyId());
        b.append(",\"reason\":");
        string(b, d.reason());
        b.append(",\"until\":");
        if (d.until() == null) {
            b.append("null");
        } else {
            b.append('"');
            instant(b, d.until());
            b.append('"');
        }
        return b.append('}').toString();
    }

    /** The decision's four fields exactly as {@link #write}, then {@code "explanation"}: the given JSON. */
    static String withExplanation(AccessDecision d, String explanationJson) {
        String decision = write(d);
        return decision.substring(0, decision.length() - 1) + ",\"explanation\":" + explanationJson + "}";
    }

    /**
     * What {@code Instant.toString} (ISO-8601, as Jackson writes it) gives, written by hand for
     * whole seconds in years 1 to 9999 — nearly every {@code until}: the JDK's formatter was 5 % of
     * a decision's samples (JFR, bench/decisions). Any other instant goes through the JDK.
     */
    static void instant(StringBuilder b, Instant t) {
        long seconds = t.getEpochSecond();
        if (t.getNano() != 0 || seconds < FIRST_OF_YEAR_1 || seconds >= FIRST_OF_YEAR_10000) {
            b.append(t);
            return;
        }
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
        int second = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        digits(b, date.getYear(), 4).append('-');
        digits(b, date.getMonthValue(), 2).append('-');
        digits(b, date.getDayOfMonth(), 2).append('T');
        digits(b, second / 3600, 2).append(':');
        digits(b, second / 60 % 60, 2).append(':');
        digits(b, second % 60, 2).append('Z');
    }

    private static StringBuilder digits(StringBuilder b, int value, int width) {
        for (int unit = width == 4 ? 1000 : 10; unit > 0; unit /= 10) {
            b.append((char) ('0' + value / unit % 10));
        }
        return b;
    }

    private static void string(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        ENCODER.quoteAsString(s, b);
        b.append('"');
    }
}
