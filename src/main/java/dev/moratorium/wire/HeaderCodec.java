package dev.moratorium.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Kafka headers to and from a JSON column; values are bytes, so they travel in base64. */
public final class HeaderCodec {

    private HeaderCodec() {
    }

    public static String encode(List<RawHeader> headers) {
        ArrayNode list = WireJson.MAPPER.createArrayNode();
        for (RawHeader h : headers) {
            var item = list.addObject();
            item.put("key", h.key());
            item.put("value", h.value() == null ? null : Base64.getEncoder().encodeToString(h.value()));
        }
        return WireJson.string(list);
    }

    public static List<RawHeader> decode(String json) {
        List<RawHeader> headers = new ArrayList<>();
        for (JsonNode item : WireJson.parse(json)) {
            JsonNode value = item.get("value");
            headers.add(new RawHeader(item.get("key").asText(),
                    value == null || value.isNull() ? null : Base64.getDecoder().decode(value.asText())));
        }
        return headers;
    }
}
