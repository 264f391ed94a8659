package dev.moratorium.api;

import dev.moratorium.store.HeaderPreviews;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Record bytes shown in JSON: UTF-8 text as is, anything else in base64 with a "base64:" prefix. */
final class BytesText {

    private BytesText() {
    }

    static String text(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return "base64:" + Base64.getEncoder().encodeToString(bytes);
        }
    }

    /**
     * The first {@code max} bytes as text, "…" when there were more. A cut may split a UTF-8
     * character; then up to three bytes are dropped so the preview stays text.
     */
    static String preview(byte[] bytes, long totalSize, int max) {
        if (bytes == null) {
            return null;
        }
        byte[] head = bytes.length > max ? Arrays.copyOf(bytes, max) : bytes;
        boolean cut = totalSize > head.length;
        String text = text(head);
        for (int drop = 1; cut && text.startsWith("base64:") && drop <= 3 && head.length > drop; drop++) {
            String shorter = text(Arrays.copyOf(head, head.length - drop));
            if (!shorter.startsWith("base64:")) {
                text = shorter;
            }
        }
        return cut ? text + "…" : text;
    }

    /**
     * Headers as a JSON object, name to value preview ({@link HeaderPreviews}'s cut, "…" where it cut).
     * Kafka lets a name repeat; its values are joined by ", " (as HTTP joins a repeated field), so a
     * record rejected for a repeated {@code ce_type} shows both.
     */
    static Map<String, String> headers(HeaderPreviews.Headers headers) {
        Map<String, String> shown = new LinkedHashMap<>();
        for (HeaderPreviews.HeaderPreview h : headers.shown()) {
            String name = h.nameCut() ? h.name() + "…" : h.name();
            String value = preview(h.valueHead(), h.valueSize(), HeaderPreviews.VALUE_BYTES); // null: no value
            if (!shown.containsKey(name)) {
                shown.put(name, value);
            } else {
                String before = shown.get(name);
                shown.put(name, (before == null ? "" : before) + ", " + (value == null ? "" : value));
            }
        }
        return shown;
    }
}
