package dev.moratorium.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.wire.HeaderCodec;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A rejected record with its reason; UTF-8 text as is, other bytes as {@code base64:…}. */
@Schema(name = "Rejection")
public record RejectionView(
        long id,
        @Schema(enumeration = {"OPEN", "RESOLVED"}) String status,
        @Schema(description = "the reason code") String reason,
        String message,
        @Schema(description = "the dead-letter-reason header: code, colon, sentence") String deadLetterReason,
        @Schema(nullable = true) String eventId,
        String topic,
        int partition,
        long offset,
        @Schema(nullable = true) String key,
        long valueSize,
        @Schema(nullable = true, description = "the value's first 2,048 bytes") String value,
        Map<String, String> headers,
        Instant receivedAt,
        int retryCount,
        @Schema(nullable = true) Instant lastRetriedAt,
        @Schema(nullable = true) String resolution,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "on a retry: applied, duplicate, rejected or already-resolved",
                enumeration = {"applied", "duplicate", "rejected", "already-resolved"}) String outcome) {

    /** Bytes of a value shown; the list cuts them in SQL, so it never loads whole values. */
    static final int PREVIEW = 2048;

    public static RejectionView of(RejectionEntity r, String outcome) {
        byte[] v = r.recordValue;
        return of(new RejectionReads.Listed(r.id, r.status, r.reasonCode, r.reasonMessage, r.eventId, r.topic,
                r.kafkaPartition, r.kafkaOffset, r.recordKey, v == null || v.length <= PREVIEW ? v : Arrays.copyOf(v, PREVIEW),
                v == null ? 0 : v.length, r.headers, r.receivedAt, r.retryCount, r.lastRetriedAt, r.resolution), outcome);
    }

    public static RejectionView of(RejectionReads.Listed r, String outcome) {
        Map<String, String> headers = new LinkedHashMap<>();
        HeaderCodec.decode(r.headers()).forEach(h -> headers.put(h.key(), BytesText.text(h.value())));
        return new RejectionView(r.id(), r.status(), r.reasonCode(), r.reasonMessage(),
                r.reasonCode() + ": " + r.reasonMessage(), r.eventId(), r.topic(), r.partition(), r.offset(),
                BytesText.text(r.key()), r.valueSize(),
                BytesText.preview(r.valueHead(), r.valueSize(), PREVIEW), headers, r.receivedAt(),
                r.retryCount(), r.lastRetriedAt(), r.resolution(), outcome);
    }
}
