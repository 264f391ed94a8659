package dev.moratorium.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The headers' JSON column: the text stored rows already hold, and every header back as it was. */
class HeaderCodecTest {

    @Test
    void writesTheFormatStoredRowsHold() {
        String json = HeaderCodec.encode(List.of(new RawHeader("ce_id", "e-1".getBytes(StandardCharsets.UTF_8)),
                new RawHeader("empty", new byte[0]), new RawHeader("none", null)));
        assertThat(json).isEqualTo("[{\"key\":\"ce_id\",\"value\":\"ZS0x\"},{\"key\":\"empty\",\"value\":\"\"},"
                + "{\"key\":\"none\",\"value\":null}]");
        assertThat(HeaderCodec.encode(List.of())).isEqualTo("[]");
    }

    @Test
    void everyHeaderComesBackAsItWas() {
        byte[] binary = {0, 1, (byte) 0x80, (byte) 0xff, '"', '\\'};
        List<RawHeader> headers = List.of(
                new RawHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".getBytes(StandardCharsets.UTF_8)),
                new RawHeader("binary", binary),
                new RawHeader("null value", null),
                new RawHeader("k\u0000ey \"quoted\" \\ \n", "v".getBytes(StandardCharsets.UTF_8)),
                new RawHeader("\u0130stanbul \u200b \uff21 \ud83d\ude00", new byte[0]),
                new RawHeader("big", "x".repeat(100_000).getBytes(StandardCharsets.UTF_8)));
        List<RawHeader> back = HeaderCodec.decode(HeaderCodec.encode(headers));
        assertThat(back).hasSize(headers.size());
        for (int i = 0; i < headers.size(); i++) {
            assertThat(back.get(i).key()).isEqualTo(headers.get(i).key());
            assertThat(back.get(i).value()).isEqualTo(headers.get(i).value());
        }
    }

    @Test
    void readsEitherFieldOrderWhiteSpaceAndExtraFields() {
        List<RawHeader> back = HeaderCodec.decode(" [ {\"value\" : \"AQI=\", \"key\" : \"a\"},\n"
                + "{\"key\":\"b\",\"extra\":{\"x\":[1,2]},\"value\":null}, {\"key\":\"c\"} ] ");
        assertThat(back).extracting(RawHeader::key).containsExactly("a", "b", "c");
        assertThat(back.get(0).value()).containsExactly(1, 2);
        assertThat(back.get(1).value()).isNull();
        assertThat(back.get(2).value()).isNull();
        assertThat(HeaderCodec.decode("[]")).isEmpty();
    }

    @Test
    void refusesWhatIsNotAListOfHeaders() {
        assertThatThrownBy(() -> HeaderCodec.decode("{\"key\":\"a\"}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HeaderCodec.decode("[{\"value\":\"AQI=\"}]")).isInstanceOf(IllegalArgumentException.class);
    }
}
