package dev.moratorium.wire;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code policy-changes} record exactly as it arrived: raw key, value and headers, where it came
 * from and when it was read. Deliberately free of Kafka types so the reader is a plain function.
 */
public record RawRecord(String topic, int partition, long offset, byte[] key, byte[] value, List<RawHeader> headers,
        Instant readAt) {

    public RawRecord {
        headers = List.copyOf(headers);
    }

    /** The last header with this name, as UTF-8 text (Kafka lets a name repeat; the last one wins). */
    public Optional<String> header(String name) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            RawHeader h = headers.get(i);
            if (h.key().equals(name)) {
                return Optional.ofNullable(h.value()).map(v -> new String(v, StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /** Every value of the headers with this name, in the record's order, as UTF-8 text (a header without a value: empty). */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>(1);
        for (RawHeader h : headers) {
            if (h.key().equals(name)) {
                values.add(h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    public Optional<String> keyText() {
        return Optional.ofNullable(key).map(k -> new String(k, StandardCharsets.UTF_8));
    }
}
