package dev.moratorium.wire;

/** Keeps text from records safe to echo in a rejection sentence or a log line. */
public final class Sanitize {

    private static final int MAX_ECHO = 80;
    private static final int MAX_LOG = 1000;

    private Sanitize() {
    }

    /**
     * The characters a limit counts: Unicode code points, as PostgreSQL's {@code VARCHAR(n)} counts
     * them, not Java's UTF-16 units, so that a name of 200 emoji (400 units) fits the 200 its column
     * holds instead of being refused at 101.
     */
    public static int characters(String s) {
        return s.codePointCount(0, s.length());
    }

    public static boolean hasControlCharacters(String s) {
        for (int i = 0; i < s.length(); i++) { // a loop, not a stream: every /access parameter passes here
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }

    /** Half of a UTF-16 surrogate pair: no UTF-8 text (PostgreSQL's included) can hold it. */
    public static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLoneSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    /**
     * Control characters and halves of surrogate pairs escaped, long text cut (never through a
     * pair), so it can be quoted in one line of UTF-8.
     */
    public static String forMessage(String s) {
        return oneLine(s, MAX_ECHO);
    }

    /**
     * For a log line that includes outside data (a record's content, an id, a database error that
     * quotes a value): newlines and other control characters are escaped, so the data cannot start
     * a line of its own and pass for a log entry; very long text is cut.
     */
    public static String forLog(String s) {
        return oneLine(s, MAX_LOG);
    }

    /**
     * For a text column that keeps outside data for people (a rejected record's id): as it is if the
     * column holds it; otherwise control characters, which PostgreSQL's text may refuse (NUL), and
     * halves of surrogate pairs, which it would keep as "?", escaped, and cut to the column's length.
     */
    public static String forColumn(String s, int maxLength) {
        if (s != null && characters(s) <= maxLength && !hasControlCharacters(s) && !hasLoneSurrogate(s)) {
            return s; // whole: the column counts characters, and an id of 300 emoji (600 units) fits
        }
        String line = oneLine(s, maxLength - 1); // room for the ellipsis
        return line.length() <= maxLength ? line : whole(line, maxLength);
    }

    /**
     * The first {@code n} UTF-16 units of {@code s}, one fewer rather than half an emoji: UTF-8
     * cannot hold half of a surrogate pair, so PostgreSQL kept "?" for it and JSON an escape of a
     * character that does not exist.
     */
    private static String whole(String s, int n) {
        return n > 0 && Character.isHighSurrogate(s.charAt(n - 1)) ? s.substring(0, n - 1) : s.substring(0, n);
    }

    private static String oneLine(String s, int max) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < s.length() && out.length() < max; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || isLoneSurrogateAt(s, i)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (i < s.length()) {
            if (out.length() > 0 && Character.isHighSurrogate(out.charAt(out.length() - 1))) {
                out.setLength(out.length() - 1); // cut before the pair, not through it
            }
            out.append('…');
        }
        return out.toString();
    }
}
