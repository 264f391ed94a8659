package dev.moratorium.ingest;

/** Keeps text from records safe to echo in a rejection sentence or a log line. */
public final class Sanitize {

    private static final int MAX_ECHO = 80;

    private Sanitize() {
    }

    public static boolean hasControlCharacters(String s) {
        return s.chars().anyMatch(c -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029');
    }

    /** Control characters escaped, long text cut, so it can be quoted in one line. */
    public static String forMessage(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < MAX_ECHO; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= MAX_ECHO && s.length() > MAX_ECHO) {
            out.append('…');
        }
        return out.toString();
    }
}
