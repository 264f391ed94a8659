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

    /** Text outside the BMP is cut before a surrogate pair, never through it. */
    @Test
    void cutsKeepEveryCharacterWhole() {
        String odd = "a" + "\uD83D\uDE00".repeat(600);
        for (String cut : new String[] {Sanitize.forMessage(odd), Sanitize.forLog(odd), Sanitize.forColumn(odd, 512),
                Sanitize.forColumn("\n" + "\uD83D\uDE00".repeat(600), 512)}) {
            assertThat(Sanitize.hasLoneSurrogate(cut)).as(cut).isFalse();
            assertThat(cut).endsWith("\uDE00…");
        }
        assertThat(Sanitize.forMessage(odd)).hasSize(80);
        assertThat(Sanitize.forColumn(odd, 512)).hasSizeLessThanOrEqualTo(512);
    }

    @Test
    void aColumnKeepsWhatItHoldsAndHalvesOfPairsAreEscaped() {
        String emoji = "\uD83D\uDE00".repeat(300);
        assertThat(Sanitize.forColumn(emoji, 512)).as("300 characters in 600 units fit 512").isSameAs(emoji);
        assertThat(Sanitize.forColumn("id-\uD800", 512)).isEqualTo("id-\\ud800");
        assertThat(Sanitize.forMessage("\uDE00a\uD83D")).isEqualTo("\\ude00a\\ud83d");
        assertThat(Sanitize.forLog("ok \uD83D\uDE00")).isEqualTo("ok \uD83D\uDE00");
        assertThat(Sanitize.forColumn("\uD83D\uDE00\uD83D\uDE00", 1)).isEqualTo("…");
    }
}
