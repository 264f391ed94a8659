package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Header names arrive as JSON string literals the database may have cut anywhere (HeaderPreviews.previewOf);
 * what the database does is run for real in RejectionsTest, PoisonRecordsTest and ParkedOutboxTest.
 */
class HeaderPreviewsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "\"plain\"|plain",
            "\"a\\\"b\\\\c\\/d\"|a\"b\\c/d",
            "\"tab\\there\"|tab\there",
            "\"cut after the backslash\\|cut after the backslash",
            "\"cut in the hex\\u00|cut in the hex",
            "\"cut in the hex\\u|cut in the hex",
            "\"no closing quote|no closing quote",
            "\"a pair cut \\ud83d|'a pair cut '",
            "\"a pair \\ud83d\\ude00\"|a pair \ud83d\ude00"})
    void aLiteralCutAnywhereReadsAsTheNameUpToTheCut(String literal, String expected) {
        assertThat(JsonLiterals.decodePrefix(literal).text()).isEqualTo(expected);
        assertThat(JsonLiterals.decodePrefix(literal).whole()).isEqualTo(literal.length() > 1 && literal.endsWith("\"")
                && !literal.endsWith("\\\""));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"key\":\"ce_id\",\"value\":null}|ce_id|true",
            "{\"key\": \"ce_id\", \"value\": \"YQ==\"}|ce_id|true",
            "{\"value\":null,\"key\":\"ce_id\"}||false",
            "{\"key\":\"cut|cut|false"})
    void theNameIsReadFromTheElementsHeadAsHeaderCodecOrJsonbWroteIt(String head, String name, boolean whole) {
        JsonLiterals.Decoded read = JsonLiterals.decodePrefix(JsonLiterals.afterKey(head));
        assertThat(read.text()).isEqualTo(name == null ? "" : name);
        assertThat(read.whole()).isEqualTo(whole);
    }

    @Test
    void aNulInANameIsKept() {
        assertThat(JsonLiterals.decodePrefix("\"x-\\u0000-y\"").text()).isEqualTo("x-\u0000-y");
    }

    @Test
    void whatTheDatabaseCutIsReadAsTheSameCutInMemory() {
        // an element as HeaderCodec wrote it, its head cut as previewOf() cuts it: 16 + 6 * 256 + 1 characters
        String name = "\u0000".repeat(300);
        String array = HeaderCodec.encode(List.of(new RawHeader(name, new byte[] {(byte) 0xff, 0})));
        String element = array.substring(1, array.length() - 1);
        String previews = "[{\"head\":" + json(element.substring(0, 16 + 6 * 256 + 1))
                + ",\"v\":\"/wA=\",\"vl\":4,\"pad\":1}]";
        HeaderPreviews.HeaderPreview fromDatabase = HeaderPreviews.read(previews, 1).shown().get(0);
        HeaderPreviews.HeaderPreview inMemory = HeaderPreviews.of(List.of(new RawHeader(name,
                new byte[] {(byte) 0xff, 0}))).shown().get(0);
        assertThat(fromDatabase.name()).isEqualTo("\u0000".repeat(256)).isEqualTo(inMemory.name());
        assertThat(fromDatabase.nameCut()).isTrue().isEqualTo(inMemory.nameCut());
        assertThat(fromDatabase.valueHead()).isEqualTo(inMemory.valueHead()).containsExactly(0xff, 0);
        assertThat(fromDatabase.valueSize()).isEqualTo(2).isEqualTo(inMemory.valueSize());
    }

    @Test
    void whatIsKeptWithARowReadsAsTheSameCut() {
        // NUL, a name past the cut, an unpaired surrogate, no value, a value past the cut, not UTF-8, 70 headers
        List<RawHeader> headers = new java.util.ArrayList<>(List.of(new RawHeader("x-\u0000-y", new byte[] {1}),
                new RawHeader("n".repeat(300) + "\ud83d\ude00", null), new RawHeader("a\ud800b", new byte[0]),
                new RawHeader("big", new byte[2000]), new RawHeader("t", new byte[] {(byte) 0xff, (byte) 0xfe})));
        for (int i = 0; i < 65; i++) {
            headers.add(new RawHeader("h" + i, ("v" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        HeaderPreviews.Headers cut = HeaderPreviews.of(headers);
        String kept = HeaderPreviews.stored(cut);
        assertThat(kept.length()).isLessThan(10_000);
        HeaderPreviews.Headers read = HeaderPreviews.fromStored(kept, cut.count());
        assertThat(read.count()).isEqualTo(70);
        assertThat(read.shown()).hasSize(64);
        for (int i = 0; i < 64; i++) {
            HeaderPreviews.HeaderPreview a = cut.shown().get(i);
            HeaderPreviews.HeaderPreview b = read.shown().get(i);
            assertThat(b.name()).as("name %d", i).isEqualTo(a.name());
            assertThat(b.nameCut()).isEqualTo(a.nameCut());
            assertThat(b.valueHead()).isEqualTo(a.valueHead());
            assertThat(b.valueSize()).isEqualTo(a.valueSize());
        }
        assertThat(read.shown().get(0).name()).isEqualTo("x-\u0000-y");
        assertThat(read.shown().get(1).nameCut()).isTrue();
        assertThat(read.shown().get(1).valueHead()).isNull();
        assertThat(read.shown().get(3).valueHead()).hasSize(HeaderPreviews.VALUE_BYTES);
        assertThat(read.shown().get(3).valueSize()).isEqualTo(2000);
        assertThat(HeaderPreviews.fromStored(HeaderPreviews.stored(HeaderPreviews.of(List.of())), 0).shown()).isEmpty();
    }

    @Test
    void aShortNameIsWholeAndNotCut() {
        String previews = "[{\"head\":" + json("{\"key\":\"ce_type\",\"value\":null}") + ",\"v\":null,\"vl\":null,\"pad\":0}]";
        HeaderPreviews.HeaderPreview h = HeaderPreviews.read(previews, 3).shown().get(0);
        assertThat(h.name()).isEqualTo("ce_type");
        assertThat(h.nameCut()).isFalse();
        assertThat(h.valueHead()).isNull();
        assertThat(HeaderPreviews.read(previews, 3).count()).isEqualTo(3);
        assertThat(HeaderPreviews.read(null, 0).shown()).isEmpty();
    }

    private static String json(String text) {
        try {
            return dev.moratorium.wire.WireJson.MAPPER.writeValueAsString(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
