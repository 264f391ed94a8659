package dev.moratorium.store;

/**
 * Reads a JSON string literal that the database may have cut anywhere ({@code left(literal, n)}):
 * {@link HeaderPreviews} takes header names as literals, since PostgreSQL's text cannot hold the NUL
 * a literal keeps escaped.
 */
final class JsonLiterals {

    /** The text read, and whether the literal's closing quote was reached (nothing was cut from it). */
    record Decoded(String text, boolean whole) {
    }

    private JsonLiterals() {
    }

    /**
     * What follows {@code "key":} at the start of a header's JSON object ({@code HeaderCodec} writes
     * the key first, and a column that was jsonb wrote it first too, with spaces), from the opening
     * quote of its literal; empty if the object does not start so.
     */
    static String afterKey(String head) {
        int i = skipSpaces(head, 0);
        if (!head.startsWith("{", i)) {
            return "";
        }
        i = skipSpaces(head, i + 1);
        if (!head.startsWith("\"key\"", i)) {
            return "";
        }
        i = skipSpaces(head, i + 5);
        if (!head.startsWith(":", i)) {
            return "";
        }
        i = skipSpaces(head, i + 1);
        return head.startsWith("\"", i) ? head.substring(i) : "";
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) {
            i++;
        }
        return i;
    }

    /**
     * The text of {@code literal} (which starts with its opening quote) up to its closing quote, or
     * up to where it was cut; an escape the cut split is dropped. Escapes are JSON's
     * (a backslash before {@code " \ / b f n r t}, or before {@code u} and four hex digits); anything
     * else is kept as it stands.
     */
    static Decoded decodePrefix(String literal) {
        StringBuilder out = new StringBuilder(literal.length());
        if (!literal.startsWith("\"")) {
            return new Decoded("", false);
        }
        int i = 1;
        boolean closed = false;
        while (i < literal.length()) {
            char c = literal.charAt(i);
            if (c == '"') {
                closed = true;
                break;
            }
            if (c != '\\') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= literal.length()) {
                break; // the cut fell after the backslash
            }
            char e = literal.charAt(i + 1);
            if (e == 'u') {
                if (i + 6 > literal.length()) {
                    break; // the cut fell inside the four hex digits
                }
                try {
                    out.append((char) Integer.parseInt(literal.substring(i + 2, i + 6), 16));
                } catch (NumberFormatException notHex) {
                    out.append(literal, i, i + 6);
                }
                i += 6;
                continue;
            }
            out.append(switch (e) {
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                default -> e; // \" \\ \/
            });
            i += 2;
        }
        if (!closed && !out.isEmpty() && Character.isHighSurrogate(out.charAt(out.length() - 1))) {
            out.setLength(out.length() - 1); // the cut fell between the two escapes of a pair
        }
        return new Decoded(out.toString(), closed);
    }
}
