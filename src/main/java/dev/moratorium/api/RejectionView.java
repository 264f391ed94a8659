package dev.moratorium.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.store.HeaderPreviews;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.wire.HeaderCodec;
import java.time.Instant;
import java.util.Arrays;
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
        @Schema(nullable = true, description = "the key's first 2,048 bytes") String key,
        long valueSize,
        @Schema(nullable = true, description = "the value's first 2,048 bytes") String value,
        @Schema(description = "the first 64 headers, each name's first 256 characters and value's first 512"
                + " bytes (then …); the values of a name given more than once joined by \", \"") Map<String, String> headers,
        @Schema(description = "how many headers the record had") int headerCount,
        Instant receivedAt,
        int retryCount,
        @Schema(nullable = true) Instant lastRetriedAt,
        @Schema(nullable = true) String resolution,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "on a retry: applied, duplicate, rejected or already-resolved",
                enumeration = {"applied", "duplicate", "rejected", "already-resolved"}) String outcome) {

    /** Bytes of a key and of a value shown; the list cuts them in SQL, so it never loads whole ones. */
    static final int PREVIEW = 2048;

    public static RejectionView of(RejectionEntity r, String outcome) {
        byte[] k = r.recordKey;
        byte[] v = r.recordValue;
        return of(new RejectionReads.Listed(r.id, r.status, r.reasonCode, r.reasonMessage, r.eventId, r.topic,
                r.kafkaPartition, r.kafkaOffset, head(k), k == null ? 0 : k.length, head(v), v == null ? 0 : v.length,
                HeaderPreviews.of(HeaderCodec.decode(r.headers)), r.receivedAt, r.retryCount, r.lastRetriedAt,
                r.resolution), outcome);
    }

    private static byte[] head(byte[] bytes) {
        return bytes == null || bytes.length <= PREVIEW ? bytes : Arrays.copyOf(bytes, PREVIEW);
    }

    public static RejectionView of(RejectionReads.Listed r, String outcome) {
        return new RejectionView(r.id(), r.status(), r.reasonCode(), r.reasonMessage(),
                r.reasonCode() + ": " + r.reasonMessage(), r.eventId(), r.topic(), r.partition(), r.offset(),
                BytesText.preview(r.keyHead(), r.keySize(), PREVIEW), r.valueSize(),
                BytesText.preview(r.valueHead(), r.valueSize(), PREVIEW), BytesText.headers(r.headers()),
                r.headers().count(), r.receivedAt(), r.retryCount(), r.lastRetriedAt(), r.resolution(), outcome);
    }
}
