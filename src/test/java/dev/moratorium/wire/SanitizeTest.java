package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.wire.Sanitize;
import org.junit.jupiter.api.Test;

/** Outside text in a log line or a sentence stays on one line and short. */
class SanitizeTest {

    @Test
    void newlinesAndOtherControlCharactersCannotStartALogLine() {
        String forged = "demo\r\n2026-01-01 00:00:00,000 ERROR [forged] admin logged in\u2028\u0000\u001b[31m";
        String safe = Sanitize.forLog(forged);
        assertThat(safe).doesNotContain("\r", "\n", "\u2028", "\u0000", "\u001b")
                .isEqualTo("demo\\u000d\\u000a2026-01-01 00:00:00,000 ERROR [forged] admin logged in\\u2028\\u0000\\u001b[31m");
        assertThat(Sanitize.forLog(null)).isEqualTo("null");
    }

    @Test
    void longTextIsCut() {
        assertThat(Sanitize.forLog("x".repeat(5000))).hasSize(1001).endsWith("…");
        assertThat(Sanitize.forLog("x".repeat(1000))).hasSize(1000);
        assertThat(Sanitize.forMessage("y".repeat(81))).hasSize(81).endsWith("…");
        assertThat(Sanitize.forMessage("y".repeat(80))).hasSize(80);
        // escaping may fill the limit before the text ends: that is cut too, and says so
        assertThat(Sanitize.forMessage("\n".repeat(30))).endsWith("…");
    }
}
