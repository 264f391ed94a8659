package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which trace headers travel on: the W3C Trace Context limits, as a table. */
class TraceContextTest {

    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @ParameterizedTest(name = "traceparent \"{0}\": {1}")
    @CsvSource(delimiter = '|', textBlock = """
            00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01    | true
            00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00    | true
            # upper-case hex is not allowed
            00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01    | false
            # only version 00
            01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01    | false
            ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01    | false
            # all-zero trace-id or parent-id
            00-00000000000000000000000000000000-00f067aa0ba902b7-01    | false
            00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01    | false
            # wrong lengths, a suffix, separators, not hex
            00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01     | false
            00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx | false
            00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-010   | false
            00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01    | false
            00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01    | false
            ''                                                         | false
            """)
    void traceparent(String value, boolean valid) {
        assertThat(TraceContext.validTraceparent(value)).isEqualTo(valid);
        assertThat(TraceContext.carried(List.of(header("traceparent", value)))).hasSize(valid ? 1 : 0);
    }

    @Test
    void tracestateUpTo512CharactersAnd32Members() {
        String members32 = String.join(",", members(32));
        assertThat(TraceContext.validTracestate("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")).isTrue();
        assertThat(TraceContext.validTracestate(members32)).isTrue();
        assertThat(TraceContext.validTracestate(String.join(",", members(33)))).isFalse();
        assertThat(TraceContext.validTracestate("a=" + "x".repeat(510))).as("512 characters").isTrue();
        assertThat(TraceContext.validTracestate("a=" + "x".repeat(511))).as("513 characters").isFalse();
        assertThat(TraceContext.validTracestate(members32 + ", ,")).as("empty members do not count").isTrue();
        assertThat(TraceContext.validTracestate("a=b\nc=d")).as("a control character").isFalse();
        assertThat(TraceContext.validTracestate("a=\u00e9")).as("not ASCII").isFalse();
    }

    @Test
    void tracestateTravelsOnlyWithAValidTraceparent() {
        RawHeader state = header("tracestate", "congo=t61rcWkgMzE");
        assertThat(keys(TraceContext.carried(List.of(header("traceparent", VALID), state))))
                .containsExactly("traceparent", "tracestate");
        assertThat(TraceContext.carried(List.of(state))).isEmpty();
        assertThat(TraceContext.carried(List.of(header("traceparent", "00-bad"), state))).isEmpty();
        assertThat(keys(TraceContext.carried(List.of(header("traceparent", VALID),
                header("tracestate", "a=" + "x".repeat(600)))))).containsExactly("traceparent");
    }

    @Test
    void otherHeadersAreNotCarriedAndTwoTraceparentsAreAmbiguous() {
        assertThat(TraceContext.carried(List.of(header("ce_id", "x"), header("content-type", "application/json"))))
                .isEmpty();
        assertThat(TraceContext.carried(List.of(header("traceparent", VALID), header("traceparent", VALID))))
                .isEmpty();
        assertThat(TraceContext.carried(List.of(new RawHeader("traceparent", null)))).isEmpty();
        assertThat(TraceContext.carried(List.of(header("traceparent", VALID + " ".repeat(10_000))))).isEmpty();
    }

    private static List<String> members(int n) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add("v" + i + "=x");
        }
        return list;
    }

    private static List<String> keys(List<RawHeader> headers) {
        return headers.stream().map(RawHeader::key).toList();
    }

    private static RawHeader header(String key, String value) {
        return new RawHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
