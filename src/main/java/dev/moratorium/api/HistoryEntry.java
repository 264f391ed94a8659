package dev.moratorium.api;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An event applied to a policy, as received; its data is written as stored (a JSON object), not parsed again. */
@Schema(name = "HistoryEntry")
public record HistoryEntry(
        @Schema(description = "the CloudEvent id") String id,
        @Schema(description = "the CloudEvent type, e.g. moratorium.announced") String type,
        @Schema(description = "the CloudEvent time: when the vendor announced it") Instant time,
        @Schema(type = SchemaType.OBJECT, description = "the event's data, as received") @JsonRawValue String data,
        @Schema(description = "when the service applied it (service clock)") Instant receivedAt,
        @Schema(description = "its place among all applied events, rising in the order they were applied: the"
                + " cursor for after") long sequence) {
}
