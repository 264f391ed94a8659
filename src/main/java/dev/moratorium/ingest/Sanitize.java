package dev.moratorium.ingest;

/** Keeps text from records safe to echo in a rejection sentence or a log line. */
public final class Sanitize {

    private static final int MAX_ECHO = 80;
    private static final int MAX_LOG = 1000;

    private Sanitize() {
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

    /** Control characters escaped, long text cut, so it can be quoted in one line. */
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

    private static String oneLine(String s, int max) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < s.length() && out.length() < max; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (i < s.length()) {
            out.append('…');
        }
        return out.toString();
    }
}
