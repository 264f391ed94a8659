package dev.moratorium.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.WireJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A list of kept records (rejections, parked outbox rows) shows their headers without reading them
 * whole. {@code policy-changes} takes records of 2 MiB, and a record may be nearly all headers: one
 * value of megabytes, a name as long, or tens of thousands of tiny ones. Sixty rejections of records
 * with a 1.9 MB header, listed whole, were 114 MB of JSON, built in a heap the pod caps at 160 MB.
 * So they are cut: the first {@value #MAX_HEADERS} headers, of each the name's first
 * {@value #NAME_CHARS} characters and the value's first {@value #VALUE_BYTES} bytes, with the whole
 * sizes. A rejection's are cut once, in memory, when it is kept ({@link #of}, {@link #stored}); a
 * parked outbox row's, and a rejection's kept before V14, by the database as they are listed
 * ({@link #previewOf}), which parses the whole column of each row listed.
 */
public final class HeaderPreviews {

    public static final int MAX_HEADERS = 64;
    public static final int NAME_CHARS = 256;
    public static final int VALUE_BYTES = 512;
    /** Values are stored in base64 ({@code HeaderCodec}); a cut on a 4-character boundary still decodes. */
    private static final int VALUE_BASE64_CHARS = (VALUE_BYTES + 2) / 3 * 4;
    /** An element's head: {@code {"key": } and the longest literal of a name's first {@value #NAME_CHARS} characters. */
    private static final int HEAD_CHARS = 16 + 6 * NAME_CHARS + 1;

    /**
     * @param name      the name, cut to {@value #NAME_CHARS} characters
     * @param nameCut   whether it was longer
     * @param valueHead the value's first bytes (at least {@value #VALUE_BYTES} when it had as many), or
     *                  {@code null} for a header without a value
     * @param valueSize the value's whole size in bytes
     */
    public record HeaderPreview(String name, boolean nameCut, byte[] valueHead, long valueSize) {
    }

    /** The first headers, and how many the record had. */
    public record Headers(List<HeaderPreview> shown, int count) {
    }

    private HeaderPreviews() {
    }

    /**
     * A select-list expression over {@code column} (a json array of {@code {"key", "value"}} objects,
     * as {@code HeaderCodec} writes them, the key first): the previews as JSON text, NULL for no
     * headers ({@code json_array_length} gives the count). It parses the whole column, so it runs
     * once per row, when the row is parked, and on rows kept before the previews were kept with them.
     * Each header is read as the text of its element, never through PostgreSQL's JSON operators: they
     * turn every string of the element into text, and a name may hold NUL, which text cannot
     * ("unsupported Unicode escape sequence"). So the element's head carries the name's literal, cut,
     * for {@link JsonLiterals} to read (a name character is at most 6 characters of literal, a
     * backslash, {@code u} and four hex digits); the value, base64 and last, is matched at the
     * element's end.
     */
    public static String previewOf(String column) {
        return "(SELECT json_agg(json_build_object('head', left(y.t, " + HEAD_CHARS + "),"
                + " 'v', left(x.v, " + VALUE_BASE64_CHARS + "), 'vl', length(x.v),"
                + " 'pad', CASE WHEN right(x.v, 2) = '==' THEN 2 WHEN right(x.v, 1) = '=' THEN 1 ELSE 0 END) ORDER BY h.i)"
                + " FROM json_array_elements(" + column + ") WITH ORDINALITY AS h(e, i),"
                + " LATERAL (SELECT h.e::text AS t) AS y,"
                + " LATERAL (SELECT substring(y.t FROM '\"value\"\\s*:\\s*\"([A-Za-z0-9+/=]*)\"\\s*\\}$') AS v) AS x"
                + " WHERE h.i <= " + MAX_HEADERS + ")::text";
    }

    /** What {@link #previewOf} gave, with the count. */
    static Headers read(String previews, int count) {
        List<HeaderPreview> shown = new ArrayList<>();
        if (previews != null) {
            try {
                for (JsonNode h : WireJson.MAPPER.readTree(previews)) {
                    JsonLiterals.Decoded name = JsonLiterals.decodePrefix(JsonLiterals.afterKey(h.get("head").asText()));
                    boolean nameCut = !name.whole() || name.text().codePointCount(0, name.text().length()) > NAME_CHARS;
                    JsonNode value = h.get("v");
                    boolean hasValue = value != null && !value.isNull();
                    long base64Length = hasValue ? h.get("vl").asLong() : 0;
                    shown.add(new HeaderPreview(firstCodePoints(name.text(), NAME_CHARS), nameCut,
                            hasValue ? Base64.getDecoder().decode(value.asText()) : null,
                            hasValue ? base64Length / 4 * 3 - h.get("pad").asInt() : 0));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Headers(shown, count);
    }

    /** Characters as the database counts them (code points), so both cuts show the same name. */
    private static String firstCodePoints(String s, int n) {
        return s.codePointCount(0, s.length()) <= n ? s : s.substring(0, s.offsetByCodePoints(0, n));
    }

    /**
     * The previews as kept in a row (rejection.header_preview): JSON, names escaped, so a NUL in a
     * name is kept as its escape. The count is kept beside it.
     */
    public static String stored(Headers headers) {
        try {
            return WireJson.MAPPER.writeValueAsString(headers.shown());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@link #stored} wrote, with the count kept beside it. */
    static Headers fromStored(String stored, int count) {
        try {
            return new Headers(List.of(WireJson.MAPPER.readValue(stored, HeaderPreview[].class)), count);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same cut, in memory, of a record's headers already loaded (one row: a retry's answer). */
    public static Headers of(List<RawHeader> headers) {
        List<HeaderPreview> shown = new ArrayList<>();
        for (RawHeader h : headers.subList(0, Math.min(headers.size(), MAX_HEADERS))) {
            byte[] v = h.value();
            shown.add(new HeaderPreview(firstCodePoints(h.key(), NAME_CHARS),
                    h.key().codePointCount(0, h.key().length()) > NAME_CHARS,
                    v == null ? null : v.length > VALUE_BYTES ? Arrays.copyOf(v, VALUE_BYTES) : v,
                    v == null ? 0 : v.length));
        }
        return new Headers(shown, headers.size());
    }
}
