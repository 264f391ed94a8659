package dev.moratorium.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.moratorium.policy.EventMeta;
import dev.moratorium.policy.EventType;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.PolicyEvent;
import dev.moratorium.policy.PolicyEvent.ExemptionGranted;
import dev.moratorium.policy.PolicyEvent.ExemptionRevoked;
import dev.moratorium.policy.PolicyEvent.MoratoriumAnnounced;
import dev.moratorium.policy.PolicyEvent.MoratoriumExtended;
import dev.moratorium.policy.PolicyEvent.MoratoriumLifted;
import dev.moratorium.policy.PolicyEvent.ProductWithdrawn;
import dev.moratorium.policy.Rejection;
import dev.moratorium.policy.RejectionReason;
import dev.moratorium.wire.EventTimes;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.wire.Sanitize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads a {@code policy-changes} record — a CloudEvent in binary or structured mode — into a
 * domain event, checking every record-level rule of CONTRACT.md §1 in the order of its table:
 * too-large, malformed-json, not-a-cloudevent, unknown-type, invalid-field, invalid-interval,
 * key-mismatch. The rules that need the policy's state are the {@link PolicyDecider}'s.
 *
 * <p>SmallRye's own CloudEvent support is not used on the way in: it fails in the connector on a
 * bad record, where we need the raw bytes and a precise reason code to dead-letter it unchanged.
 */
public final class PolicyChangeReader {

    /** 64 KiB: the contract's largest record value. */
    public static final int MAX_VALUE_BYTES = 64 * 1024;

    /** The event id's column (it is the de-duplication key, kept with every applied event). */
    public static final int MAX_ID_LENGTH = 512;
    /** A CloudEvent source is a URI reference; longer than this it is not one anybody means. */
    public static final int MAX_SOURCE_LENGTH = 2048;
    /** Deeper JSON is refused: no field of the contract nests more than three levels. */
    public static final int MAX_NESTING_DEPTH = 32;
    /** Longer numbers are refused (Jackson's default, named here so the rejection can say it). */
    public static final int MAX_NUMBER_LENGTH = 1000;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE)
            // The history keeps an event's data as received, a producer's own fields included. Read
            // as doubles, numbers came back changed: 0.1000000000000000055511151231257827 as 0.1,
            // 1e-400 as 0.0, 1e400 as the string "Infinity"; as decimals they are kept exactly.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    private static final List<String> ENVELOPE = List.of("specversion", "id", "type", "source");
    /** The headers a binary-mode event is read from; each must come once (see {@link #requireOnce}). */
    private static final List<String> BINARY_HEADERS = List.of("ce_specversion", "ce_id", "ce_type", "ce_source",
            "ce_time", "content-type");
    /**
     * The binary-mode attributes that are kept as text: the others are read against fixed values
     * (specversion, type, content-type) or as a time, which bytes that are not UTF-8 already fail.
     */
    private static final List<String> IDENTITY_HEADERS = List.of("ce_id", "ce_source");
    private static final int REPEATS_SHOWN = 3;

    public ReadResult read(RawRecord record) {
        String eventId = null;
        try {
            Envelope envelope = envelope(record);
            eventId = envelope.id;
            PolicyEvent event = event(envelope, record);
            String dataJson = JSON.writeValueAsString(envelope.data);
            if (Sanitize.hasLoneSurrogate(dataJson)) {
                // JSON escapes let a producer write half a character, which no UTF-8 store can keep
                throw FieldProblem.invalid("data contains an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape"
                        + " without its other half)");
            }
            return new ReadResult.Read(event, dataJson);
        } catch (FieldProblem problem) {
            return new ReadResult.Unreadable(Rejection.of(problem.reason, problem.getMessage()), eventId);
        } catch (IOException e) {
            throw new IllegalStateException("could not write back parsed JSON", e);
        }
    }

    private record Envelope(String id, String type, String source, Instant time, JsonNode data) {
    }

    private Envelope envelope(RawRecord record) {
        byte[] value = record.value();
        if (value != null && value.length > MAX_VALUE_BYTES) {
            throw new FieldProblem(RejectionReason.TOO_LARGE, "the record value is " + value.length
                    + " bytes; the limit is " + MAX_VALUE_BYTES + " (64 KiB)");
        }
        Optional<String> contentType = record.header("content-type").map(c -> c.toLowerCase(Locale.ROOT).strip());
        boolean structured = contentType.filter(c -> c.startsWith("application/cloudevents")).isPresent();
        if (!structured && record.header("ce_specversion").isPresent()) {
            return binary(record, contentType);
        }
        JsonNode root = parse(value);
        if (structured && contentType.get().startsWith("application/cloudevents-batch")) {
            throw new FieldProblem(RejectionReason.NOT_A_CLOUDEVENT,
                    "batched CloudEvents are not accepted; send one event per record");
        }
        if (!structured && !(root.isObject() && root.has("specversion"))) {
            throw new FieldProblem(RejectionReason.NOT_A_CLOUDEVENT, "the record is neither a binary-mode CloudEvent"
                    + " (ce_specversion, ce_id, ce_type, ce_source headers) nor a structured one"
                    + " (content-type application/cloudevents+json)");
        }
        return structured(root, record);
    }

    private Envelope structured(JsonNode root, RawRecord record) {
        requireOnce(record, List.of("content-type"));
        if (!root.isObject()) {
            throw new FieldProblem(RejectionReason.NOT_A_CLOUDEVENT,
                    "a structured CloudEvent must be a JSON object, not " + DataFields.kind(root));
        }
        List<String> missing = new ArrayList<>();
        for (String attribute : ENVELOPE) {
            JsonNode node = root.get(attribute);
            if (node == null || !node.isTextual() || node.textValue().isBlank()) {
                missing.add(attribute);
            }
        }
        requireAttributes(missing);
        checkSpecVersion(root.get("specversion").textValue());
        String type = checkType(root.get("type").textValue());
        String id = checkId(root.get("id").textValue());
        checkSource(root.get("source").textValue());
        JsonNode contentTypeNode = root.get("datacontenttype");
        if (contentTypeNode != null && !contentTypeNode.isNull()) {
            checkJsonContentType(contentTypeNode.asText(), "datacontenttype");
        }
        if (root.has("data_base64")) {
            throw FieldProblem.invalid("data_base64 is not accepted; send the data as a JSON object");
        }
        JsonNode data = root.get("data");
        if (data == null || data.isNull()) {
            throw FieldProblem.invalid("data is required: a JSON object");
        }
        if (!data.isObject()) {
            throw FieldProblem.invalid("data must be a JSON object, not " + DataFields.kind(data));
        }
        JsonNode time = root.get("time");
        Instant at = time == null || time.isNull() ? record.readAt() : envelopeTime(time.isTextual() ? time.textValue() : null);
        return new Envelope(id, type, root.get("source").textValue(), at, data);
    }

    private Envelope binary(RawRecord record, Optional<String> contentType) {
        // The value is parsed first: malformed-json comes before every later row of the reason table.
        JsonNode data = parse(record.value());
        List<String> missing = new ArrayList<>();
        for (String attribute : ENVELOPE) {
            if (record.header("ce_" + attribute).filter(v -> !v.isBlank()).isEmpty()) {
                missing.add("ce_" + attribute);
            }
        }
        requireAttributes(missing);
        requireOnce(record, BINARY_HEADERS);
        checkSpecVersion(record.header("ce_specversion").get());
        String type = checkType(record.header("ce_type").get());
        requireUtf8(record, IDENTITY_HEADERS);
        String id = checkId(record.header("ce_id").get());
        checkSource(record.header("ce_source").get());
        contentType.ifPresent(c -> checkJsonContentType(c, "content-type"));
        if (!data.isObject()) {
            throw FieldProblem.invalid("data must be a JSON object, not " + DataFields.kind(data));
        }
        Instant at = record.header("ce_time").map(this::envelopeTime).orElse(record.readAt());
        return new Envelope(id, type, record.header("ce_source").get(), at, data);
    }

    private PolicyEvent event(Envelope envelope, RawRecord record) {
        DataFields data = new DataFields(envelope.data);
        EventMeta meta = new EventMeta(envelope.id, envelope.source, envelope.time);
        String policyId = data.policyId();
        EventType type = EventType.fromWire(envelope.type).orElseThrow();
        PolicyEvent event = switch (type) {
            case MORATORIUM_ANNOUNCED -> announced(meta, policyId, data);
            case MORATORIUM_EXTENDED -> {
                if (!data.has("effectiveUntil")) {
                    throw FieldProblem.invalid("data.effectiveUntil is required (null extends indefinitely)");
                }
                yield new MoratoriumExtended(meta, policyId, data.optionalTime("effectiveUntil"),
                        data.optionalText("reason"));
            }
            case MORATORIUM_LIFTED -> {
                Instant at = data.optionalTime("effectiveAt");
                yield new MoratoriumLifted(meta, policyId, at == null ? meta.time() : at, data.optionalText("reason"));
            }
            case EXEMPTION_GRANTED -> new ExemptionGranted(meta, policyId, data.requiredName("organization"),
                    data.optionalText("purpose"));
            case EXEMPTION_REVOKED -> new ExemptionRevoked(meta, policyId, data.requiredName("organization"),
                    data.optionalText("reason"));
            case PRODUCT_WITHDRAWN -> new ProductWithdrawn(meta, policyId, data.requiredName("vendor"),
                    data.requiredName("product"), data.requiredTime("effectiveFrom"), data.segments(false),
                    data.optionalText("reason"), data.optionalText("sourceUrl"));
        };
        Optional<String> key = record.keyText();
        if (key.isEmpty()) {
            throw new FieldProblem(RejectionReason.KEY_MISMATCH,
                    "the record has no key; it must be the policyId \"" + policyId + "\"");
        }
        if (!key.get().equals(policyId)) {
            throw new FieldProblem(RejectionReason.KEY_MISMATCH, "the record key \"" + Sanitize.forMessage(key.get())
                    + "\" differs from data.policyId \"" + policyId + "\"");
        }
        return event;
    }

    private static MoratoriumAnnounced announced(EventMeta meta, String policyId, DataFields data) {
        String vendor = data.requiredName("vendor");
        String product = data.requiredName("product");
        List<String> segments = data.segments(true);
        Instant from = data.requiredTime("effectiveFrom");
        Instant until = data.optionalTime("effectiveUntil");
        var exemptions = data.exemptions();
        String jurisdiction = data.optionalJurisdiction();
        String reason = data.optionalText("reason");
        String sourceUrl = data.optionalText("sourceUrl");
        PolicyDecider.intervalProblem(from, until).ifPresent(problem -> {
            throw new FieldProblem(RejectionReason.INVALID_INTERVAL, problem);
        });
        return new MoratoriumAnnounced(meta, policyId, vendor, product, segments, from, until, exemptions,
                jurisdiction, reason, sourceUrl);
    }

    /** Which of the parser's limits the record broke, in a sentence (each used to be called nesting). */
    private static String brokenLimit(StreamConstraintsException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.contains("nesting depth")) {
            return "the record value nests JSON deeper than " + MAX_NESTING_DEPTH + " levels";
        }
        if (message.contains("Number value length")) {
            return "the record value holds a number of more than " + MAX_NUMBER_LENGTH + " characters";
        }
        if (message.contains("Name length")) {
            return "the record value holds a field name of more than " + StreamReadConstraints.DEFAULT_MAX_NAME_LEN
                    + " characters";
        }
        return "the record value breaks a limit of the JSON parser: " + Sanitize.forMessage(firstLine(message));
    }

    private static JsonNode parse(byte[] value) {
        if (value == null || value.length == 0) {
            throw new FieldProblem(RejectionReason.MALFORMED_JSON, "the record has no value");
        }
        try {
            JsonNode node = JSON.readTree(value);
            if (node == null || node.isMissingNode()) {
                throw new FieldProblem(RejectionReason.MALFORMED_JSON, "the record value is empty");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw FieldProblem.invalid(brokenLimit(e));
        } catch (NumberFormatException e) {
            // 1e9999999999 is JSON, but no decimal holds it (as doubles it was "Infinity", see JSON)
            throw FieldProblem.invalid("the record value holds a number whose exponent is out of range");
        } catch (IOException e) {
            throw new FieldProblem(RejectionReason.MALFORMED_JSON, "the record value is not valid JSON: "
                    + Sanitize.forMessage(firstLine(e.getMessage())));
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static void requireAttributes(List<String> missing) {
        if (!missing.isEmpty()) {
            throw new FieldProblem(RejectionReason.NOT_A_CLOUDEVENT,
                    "the CloudEvent lacks " + String.join(", ", missing) + " (each a non-empty string)");
        }
    }

    /**
     * Kafka lets a header name repeat, and {@link RawRecord#header} would read the last one. A record
     * with two {@code ce_type} or two {@code ce_id} headers says two things at once (a structured
     * event with a repeated JSON attribute is refused as malformed for the same reason): whichever
     * one the service picked, a consumer that reads the first would see another event.
     */
    private static void requireOnce(RawRecord record, List<String> names) {
        for (String name : names) {
            List<String> values = record.headerValues(name);
            if (values.size() > 1) {
                StringBuilder shown = new StringBuilder();
                for (int i = 0; i < Math.min(values.size(), REPEATS_SHOWN); i++) {
                    shown.append(i == 0 ? "" : ", ").append('"').append(Sanitize.forMessage(values.get(i))).append('"');
                }
                throw new FieldProblem(RejectionReason.NOT_A_CLOUDEVENT, "the record carries the header " + name + " "
                        + values.size() + " times (" + shown + (values.size() > REPEATS_SHOWN ? ", …" : "")
                        + "); a CloudEvent attribute is one header, so which one holds cannot be told");
            }
        }
    }

    /**
     * An attribute kept as text is refused if its bytes are not UTF-8, not read with U+FFFD in their
     * place. Read that way, the ids "evt-" + 0xFF and "evt-" + 0xFE were one id: the second
     * event, another policy's, was taken for a duplicate of the first and dropped without a word.
     */
    private static void requireUtf8(RawRecord record, List<String> names) {
        for (RawHeader header : record.headers()) {
            if (header.value() != null && names.contains(header.key()) && !isUtf8(header.value())) {
                throw FieldProblem.invalid("the header " + header.key() + " is not UTF-8 text");
            }
        }
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static void checkSpecVersion(String specVersion) {
        if (!"1.0".equals(specVersion)) {
            throw new FieldProblem(RejectionReason.NOT_A_CLOUDEVENT,
                    "specversion \"" + Sanitize.forMessage(specVersion) + "\" is not supported; it must be \"1.0\"");
        }
    }

    private static String checkType(String type) {
        if (EventType.fromWire(type).isEmpty()) {
            throw new FieldProblem(RejectionReason.UNKNOWN_TYPE, "type \"" + Sanitize.forMessage(type)
                    + "\" is not one of moratorium.announced, moratorium.extended, moratorium.lifted,"
                    + " moratorium.exemption-granted, moratorium.exemption-revoked, product.withdrawn");
        }
        return type;
    }

    private static void checkJsonContentType(String contentType, String attribute) {
        String c = contentType.toLowerCase(Locale.ROOT).strip();
        String mediaType = c.contains(";") ? c.substring(0, c.indexOf(';')).strip() : c;
        if (!(mediaType.equals("application/json") || mediaType.endsWith("+json"))) {
            throw FieldProblem.invalid(attribute + " \"" + Sanitize.forMessage(contentType)
                    + "\" is not JSON; the data must be application/json");
        }
    }

    private Instant envelopeTime(String text) {
        Instant at = EventTimes.parse(text).orElseThrow(() -> FieldProblem.invalid("time \"" + Sanitize.forMessage(text)
                + "\" is not an RFC 3339 timestamp"));
        if (!EventTimes.isStorable(at)) {
            throw FieldProblem.invalid(EventTimes.outOfRange("time", text));
        }
        return at;
    }

    /** The id is the de-duplication key, stored with every applied event: within its column, no control characters. */
    private static String checkId(String id) {
        int characters = Sanitize.characters(id);
        if (characters > MAX_ID_LENGTH) {
            throw FieldProblem.invalid("id is " + characters + " characters long; the limit is " + MAX_ID_LENGTH);
        }
        if (Sanitize.hasControlCharacters(id) || Sanitize.hasLoneSurrogate(id)) {
            throw FieldProblem.invalid("id \"" + Sanitize.forMessage(id)
                    + "\" contains control characters (NUL included) or half a UTF-16 character");
        }
        return id;
    }

    private static void checkSource(String source) {
        int characters = Sanitize.characters(source);
        if (characters > MAX_SOURCE_LENGTH) {
            throw FieldProblem.invalid("source is " + characters + " characters long; the limit is "
                    + MAX_SOURCE_LENGTH);
        }
        if (Sanitize.hasControlCharacters(source) || Sanitize.hasLoneSurrogate(source)) {
            throw FieldProblem.invalid("source \"" + Sanitize.forMessage(source)
                    + "\" contains control characters (NUL included) or half a UTF-16 character");
        }
    }
}
