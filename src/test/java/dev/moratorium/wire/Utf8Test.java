package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8Test {

    /** One, two, three and four bytes a character; NUL; zero-width and full-width; a dotted capital I; JSON as stored. */
    @ParameterizedTest
    @ValueSource(strings = {"", "a", "\u0000", "é", "İ", "漢字", "\u200b", "Ａｍａｚｏｎ", "😀", "a😀b漢é",
            "{\"policyId\":\"p\",\"organization\":\"Thorn\",\"purpose\":\"理由\"}"})
    void countsWhatTheEncoderWrites(String text) {
        assertThat(Utf8.length(text)).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aLoneSurrogateCountsAsItsReplacement() {
        assertThat(Utf8.length("a\ud800b")).isEqualTo(5);
        assertThat(Utf8.length("\udc00")).isEqualTo(3);
    }
}
