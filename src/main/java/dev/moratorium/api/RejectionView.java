package dev.moratorium.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moratorium.store.RejectionEntity;
import dev.moratorium.wire.HeaderCodec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
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

    private static final int PREVIEW = 2048;

    public static RejectionView of(RejectionEntity r, String outcome) {
        Map<String, String> headers = new LinkedHashMap<>();
        HeaderCodec.decode(r.headers).forEach(h -> headers.put(h.key(), h.value() == null ? null : text(h.value())));
        return new RejectionView(r.id, r.status, r.reasonCode, r.reasonMessage, r.reasonCode + ": " + r.reasonMessage,
                r.eventId, r.topic, r.kafkaPartition, r.kafkaOffset, r.recordKey == null ? null : text(r.recordKey),
                r.recordValue == null ? 0 : r.recordValue.length, r.recordValue == null ? null : preview(r.recordValue),
                headers, r.receivedAt, r.retryCount, r.lastRetriedAt, r.resolution, outcome);
    }

    /** UTF-8 text as is; anything else in base64 with a "base64:" prefix. */
    static String text(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return "base64:" + Base64.getEncoder().encodeToString(bytes);
        }
    }

    private static String preview(byte[] value) {
        return value.length <= PREVIEW ? text(value) : text(Arrays.copyOf(value, PREVIEW)) + "…";
    }
}
