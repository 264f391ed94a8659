package dev.moratorium.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Kafka headers to and from a JSON column: {@code [{"key": "...", "value": "<base64>"|null}]};
 * values are bytes, so they travel in base64. Written and read as a token stream, not a tree: every
 * outbox row's headers pass through here when it is written and again when the relay sends it,
 * and a tree of nodes for eight short headers was the larger part of that work.
 */
public final class HeaderCodec {

    private static final JsonFactory JSON = WireJson.MAPPER.getFactory();

    private HeaderCodec() {
    }

    public static String encode(List<RawHeader> headers) {
        StringWriter out = new StringWriter(16 + 64 * headers.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            for (RawHeader h : headers) {
                g.writeStartObject();
                g.writeStringField("key", h.key());
                g.writeStringField("value", h.value() == null ? null : Base64.getEncoder().encodeToString(h.value()));
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Reads what {@link #encode} wrote (any order of the two fields, any white space). */
    public static List<RawHeader> decode(String json) {
        List<RawHeader> headers = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalArgumentException("headers are not a JSON array");
            }
            while (p.nextToken() == JsonToken.START_OBJECT) {
                String key = null;
                byte[] value = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken token = p.nextToken();
                    if ("key".equals(field)) {
                        key = p.getText();
                    } else if ("value".equals(field)) {
                        value = token == JsonToken.VALUE_NULL ? null : Base64.getDecoder().decode(p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
                if (key == null) {
                    throw new IllegalArgumentException("a header without a key");
                }
                headers.add(new RawHeader(key, value));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return headers;
    }
}
