package dev.moratorium.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The W3C Trace Context headers a policy-change record may carry, and which of them are copied to
 * the records it causes. A producer's headers are not ours to trust: an oversized or malformed
 * value copied to every notification and state record would make each of them bigger (the outbox,
 * the topics, every subscriber) and could break a subscriber's tracer. So only what the W3C
 * recommendation allows is carried (https://www.w3.org/TR/trace-context/):
 *
 * <ul>
 * <li>{@code traceparent}: exactly one header, a version-00 value of 55 characters
 * ({@code 00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>}, lower case, ids not all zero);</li>
 * <li>{@code tracestate}: only with a valid {@code traceparent} (the recommendation says not to read
 * it otherwise), exactly one header, at most 512 characters, at most 32 list members, printable
 * ASCII.</li>
 * </ul>
 * Anything else is dropped; the record itself is processed as usual.
 */
public final class TraceContext {

    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";

    static final int MAX_TRACESTATE_LENGTH = 512;
    static final int MAX_TRACESTATE_MEMBERS = 32;

    private static final Pattern TRACEPARENT_00 = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final Pattern PRINTABLE_ASCII = Pattern.compile("[\\x20-\\x7e]*");
    private static final String ZERO_TRACE_ID = "0".repeat(32);
    private static final String ZERO_PARENT_ID = "0".repeat(16);

    private TraceContext() {
    }

    /** The trace headers of a record that may be carried on, in the order traceparent, tracestate. */
    public static List<RawHeader> carried(List<RawHeader> headers) {
        RawHeader parent = single(headers, TRACEPARENT);
        if (parent == null || !validTraceparent(text(parent))) {
            return List.of();
        }
        List<RawHeader> carried = new ArrayList<>(2);
        carried.add(parent);
        RawHeader state = single(headers, TRACESTATE);
        if (state != null && validTracestate(text(state))) {
            carried.add(state);
        }
        return List.copyOf(carried);
    }

    static boolean validTraceparent(String value) {
        return value != null && value.length() == 55 && TRACEPARENT_00.matcher(value).matches()
                && !value.substring(3, 35).equals(ZERO_TRACE_ID) && !value.substring(36, 52).equals(ZERO_PARENT_ID);
    }

    static boolean validTracestate(String value) {
        if (value == null || value.length() > MAX_TRACESTATE_LENGTH || !PRINTABLE_ASCII.matcher(value).matches()) {
            return false;
        }
        int members = 0;
        for (String member : value.split(",", -1)) {
            if (!member.isBlank()) { // empty list members are allowed and do not count
                members++;
            }
        }
        return members <= MAX_TRACESTATE_MEMBERS;
    }

    /** The header if the record has exactly one by this name; two are ambiguous, so neither is carried. */
    private static RawHeader single(List<RawHeader> headers, String name) {
        RawHeader found = null;
        for (RawHeader h : headers) {
            if (name.equals(h.key())) {
                if (found != null) {
                    return null;
                }
                found = h;
            }
        }
        return found == null || found.value() == null ? null : found;
    }

    private static String text(RawHeader header) {
        return new String(header.value(), StandardCharsets.ISO_8859_1); // a non-ASCII byte then fails the checks
    }
}
