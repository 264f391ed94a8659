package dev.moratorium.policy;

import java.text.Normalizer;
import java.util.Locale;

/**
 * Vendor, product, segment and organization names compare by one key, on write and on every query
 * (CONTRACT.md §5): Unicode NFKC, case folding, format characters (zero-width and the like) and
 * the other characters Unicode ignores by default removed ({@link #isIgnorable}), runs of white
 * space collapsed to one space, trimmed. So {@code Ａｍａｚｏｎ}, {@code amazon} and
 * {@code Amazon\u200b} are one vendor — a gateway asking for {@code amazon} must not be allowed
 * because a producer typed a full-width or zero-width character.
 */
public final class Names {

    private static final char CAPITAL_SHARP_S = '\u1e9e';
    private static final char SHARP_S = '\u00df';
    private static final char FINAL_SIGMA = '\u03c2';
    private static final char SIGMA = '\u03c3';

    /** The segment that stands for every customer. */
    public static final String EVERYONE = "*";

    private Names() {
    }

    /** The form names are indexed and compared by; it can be longer than the name ("İ" folds to two chars). */
    public static String key(String name) {
        if (name == null) {
            return null;
        }
        String ascii = asciiKey(name);
        if (ascii != null) {
            return ascii;
        }
        String normalized = Normalizer.normalize(name, Normalizer.Form.NFKC);
        StringBuilder kept = new StringBuilder(normalized.length());
        for (int i = 0; i < normalized.length(); ) {
            int c = normalized.codePointAt(i);
            i += Character.charCount(c);
            if (!isIgnorable(c)) {
                // the capital sharp s lowers to ß, which the JDK would not upper again here: as ß,
                // it folds to "ss" with the others (CaseFolding.txt), so STRAẞE is Straße and STRASSE
                kept.appendCodePoint(c == CAPITAL_SHARP_S ? SHARP_S : c);
            }
        }
        // Full case folding, as near as the JDK gets: upper then lower folds ß with SS. Lowering
        // writes a final sigma where the letters around it say a word ends, and trimming and
        // dropped characters change what is around it, so ς is then folded to σ as CaseFolding.txt
        // does: "ΟΔΟΣ ", "οδος" and "οδοσ" are one name, and a key's key is the key.
        String folded = kept.toString().toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT)
                .replace(FINAL_SIGMA, SIGMA);
        return collapseWhiteSpace(Normalizer.normalize(folded, Normalizer.Form.NFKC));
    }

    /**
     * A name as a sentence shows it: as written, less the explicit bidirectional controls (embeddings,
     * overrides, isolates: U+202A to U+202E, U+2066 to U+2069). They have no meaning in a name (its key
     * drops them too), but in a notification's sentence an unclosed right-to-left override turns the
     * rest of the line around for every dashboard and chat channel that shows it: "suspended from
     * 2020-06-10" read backwards, and a line a producer can make say something else.
     */
    public static String inSentence(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (isBidiControl(name.charAt(i))) {
                StringBuilder kept = new StringBuilder(name.length());
                name.chars().filter(c -> !isBidiControl((char) c)).forEach(c -> kept.append((char) c));
                return kept.toString();
            }
        }
        return name;
    }

    private static boolean isBidiControl(char c) {
        return c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069';
    }

    /**
     * A character a name's key leaves out: every format character (zero-width space and joiner,
     * soft hyphen, bidirectional controls, tags; counted by code point, so those outside the BMP
     * too) and the rest of Unicode's Default_Ignorable_Code_Point, which it says to ignore when
     * matching identifiers (UAX #31): variation selectors, the combining grapheme joiner, the Hangul
     * fillers, the Mongolian free variation selectors, Khmer's inherent vowels. All are invisible or
     * blank, so "Amazon" followed by a variation selector was another vendor than "Amazon", and a
     * gateway asking for Amazon was allowed past its policy.
     */
    static boolean isIgnorable(int c) {
        return Character.getType(c) == Character.FORMAT
                || c == 0x034F                                  // combining grapheme joiner
                || c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 // Hangul fillers
                || c == 0x17B4 || c == 0x17B5                   // Khmer inherent vowels
                || c >= 0x180B && c <= 0x180F                   // Mongolian variation selectors, vowel separator
                || c >= 0xFE00 && c <= 0xFE0F                   // variation selectors
                || c >= 0x2060 && c <= 0x206F                   // invisible operators and their unassigned kin
                || c >= 0xFFF0 && c <= 0xFFF8                   // unassigned, ignorable by default
                || c >= 0xE0000 && c <= 0xE0FFF;                // tags, variation selectors supplement
    }

    public static boolean same(String a, String b) {
        return a != null && b != null && key(a).equals(key(b));
    }

    /**
     * The key of a printable ASCII name without a run of spaces, or {@code null} for any other name:
     * nearly every name a gateway asks for, on every {@code /access} call, without normalizing.
     */
    private static String asciiKey(String name) {
        int n = name.length();
        int start = 0;
        int end = n;
        while (start < end && name.charAt(start) == ' ') {
            start++;
        }
        while (end > start && name.charAt(end - 1) == ' ') {
            end--;
        }
        boolean upper = false;
        for (int i = start; i < end; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c > 0x7e || c == ' ' && name.charAt(i - 1) == ' ') {
                return null;
            }
            upper |= c >= 'A' && c <= 'Z';
        }
        String trimmed = start == 0 && end == n ? name : name.substring(start, end);
        return upper ? trimmed.toLowerCase(Locale.ROOT) : trimmed;
    }

    private static String collapseWhiteSpace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                space = true;
                continue;
            }
            if (space && out.length() > 0) {
                out.append(' ');
            }
            space = false;
            out.append(c);
        }
        return out.toString();
    }
}
