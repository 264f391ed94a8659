package dev.moratorium.wire;

/** Sizes of text as UTF-8, counted without encoding it. */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * The bytes {@code text} takes in UTF-8: what PostgreSQL's {@code octet_length} answers for it
     * stored. A surrogate pair is one four-byte character; a lone surrogate (which the ingest
     * refuses before anything is stored) counts as the three bytes of its replacement.
     */
    public static int length(CharSequence text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
