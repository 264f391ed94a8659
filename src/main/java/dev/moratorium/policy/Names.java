package dev.moratorium.policy;

import java.text.Normalizer;
import java.util.Locale;

/**
 * Vendor, product, segment and organization names compare by one key, on write and on every query
 * (CONTRACT.md §5): Unicode NFKC, case folding, format characters (zero-width and the like) removed,
 * runs of white space collapsed to one space, trimmed. So {@code Ａｍａｚｏｎ}, {@code amazon} and
 * {@code Amazon\u200b} are one vendor — a gateway asking for {@code amazon} must not be allowed
 * because a producer typed a full-width or zero-width character.
 */
public final class Names {

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
        for (int i = 0; i < normalized.length(); i++) {
            char c = normalized.charAt(i);
            if (Character.getType(c) != Character.FORMAT) {
                kept.append(c);
            }
        }
        // Full case folding, as near as the JDK gets: upper then lower folds ß and ς with their kin.
        String folded = kept.toString().toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
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
