package dev.moratorium.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Every character of Unicode, in a name, through {@link Names#key}: the key of a key is the key (a
 * gateway that asks with the form the service shows finds the policy), and a name written in
 * capitals, in small letters or title-cased has the key it has as written. The capital sharp s
 * broke both: it lowered to ß and stayed so, while ß and SS folded to "ss", so STRAẞE, Straße and
 * STRASSE were two names. And lowering chose ς or σ by the letters around a sigma, which the key
 * then trimmed or dropped: the key of " 𐐨σ" was "𐐨σ", whose key was "𐐨ς".
 */
class NamesTest {

    @Test
    void everyCharacterKeysTheSameInEveryCaseAndAgain() {
        List<String> broken = new ArrayList<>();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                continue;
            }
            String c = new String(Character.toChars(cp));
            String name = "a" + c + "b";
            String key = Names.key(name);
            boolean same = key.equals(Names.key(key))
                    && key.equals(Names.key(name.toUpperCase(Locale.ROOT)))
                    && key.equals(Names.key(name.toLowerCase(Locale.ROOT)))
                    && Names.key(c + "b").equals(Names.key(new String(Character.toChars(Character.toTitleCase(cp))) + "b"));
            if (!same && broken.size() < 20) {
                broken.add(String.format("U+%04X", cp));
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void theSharpSInEveryFormIsOneName() {
        assertThat(List.of("STRA\u1e9eE", "Stra\u00dfe", "STRASSE", "strasse", "\uff33\uff34\uff32\uff21\uff33\uff33\uff25"))
                .allSatisfy(name -> assertThat(Names.key(name)).isEqualTo("strasse"));
    }

    @Test
    void theSigmaInEveryFormIsOneName() {
        assertThat(List.of("\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2", "\u03bf\u03b4\u03bf\u03c3",
                "\u039f\u0394\u039f\u03a3\u200b", "  \u039f\u0394\u039f\u03a3  "))
                .allSatisfy(name -> assertThat(Names.key(name)).isEqualTo("\u03bf\u03b4\u03bf\u03c3"));
        for (String name : List.of(" \uD801\uDC28\u03c3", "\u3000\uD801\uDC00\u03a3", "x\u200b\u03a3 ", "\u03a3\u0301 a")) {
            assertThat(Names.key(Names.key(name))).as(name).isEqualTo(Names.key(name));
        }
    }

    /**
     * Characters Unicode ignores by default are no part of a name, as format characters were not:
     * "Amazon" with a variation selector after it was another vendor than Amazon, so a gateway
     * asking for Amazon was allowed past its policy. Format characters outside the BMP (tags) were
     * kept too: the key looked at them a UTF-16 unit at a time.
     */
    @Test
    void charactersUnicodeIgnoresByDefaultAreNoPartOfAName() {
        List<String> hidden = List.of("\uFE0F", "\uFE00", "\u034F", "\u115F", "\u1160", "\u3164", "\uFFA0", "\u17B4",
                "\u180B", "\u180F", "\u2065", "\u00AD", "\u200B", "\u2060", "\uFEFF", "\uDB40\uDC01", "\uDB40\uDC20",
                "\uDB40\uDD00", "\uDB40\uDDEF", "\uD82F\uDCA0", "\uD834\uDD73");
        for (String h : hidden) {
            assertThat(List.of("Amazon" + h, h + "Amazon", "Ama" + h + "zon", h + "Amazon" + h + h))
                    .as("U+%04X", "Amazon".concat(h).codePointAt(6))
                    .allSatisfy(name -> assertThat(Names.key(name)).isEqualTo("amazon"));
            assertThat(Names.key(h + h)).isEmpty();
        }
        assertThat(Names.key("Amazon \u3164 Web \uFE0F Services")).isEqualTo("amazon web services");
    }
}
