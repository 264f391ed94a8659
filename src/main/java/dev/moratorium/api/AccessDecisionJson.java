package dev.moratorium.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.moratorium.policy.AccessDecision;

/**
 * Writes an {@link AccessDecision} as JSON by hand: {@code /access} is the hottest path of the
 * service, and Jackson's bean serialisation was a quarter of its time (async-profiler,
 * bench/decisions). The output is byte for byte what the application's ObjectMapper writes (the
 * record's four fields in order, nulls written, instants as ISO-8601 strings, strings escaped by
 * Jackson's own encoder); {@code AccessDecisionJsonTest} compares the two on many decisions.
 */
final class AccessDecisionJson {

    private static final JsonStringEncoder ENCODER = JsonStringEncoder.getInstance();

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
            b.append('"').append(d.until()).append('"'); // Instant.toString is ISO-8601, as Jackson writes it
        }
        return b.append('}').toString();
    }

    /** The decision's four fields exactly as {@link #write}, then {@code "explanation"}: the given JSON. */
    static String withExplanation(AccessDecision d, String explanationJson) {
        String decision = write(d);
        return decision.substring(0, decision.length() - 1) + ",\"explanation\":" + explanationJson + "}";
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
