package dev.moratorium.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.policy.Jurisdictions;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import dev.moratorium.wire.EventTimes;
import dev.moratorium.wire.Sanitize;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Typed access to an event's {@code data} object; every problem is an {@code invalid-field} sentence. */
final class DataFields {

    private static final int MAX_NAME_LENGTH = 200;
    private static final int MAX_TEXT_LENGTH = 4000;
    /**
     * Segments one policy names, at most: each is a key in the policy's GIN-indexed segment_keys and
     * a key computed at every access decision about the policy's product. Unbounded, a 64 KiB record
     * named 8,000 segments, and reading it alone took 5-6 s (each compared with every other).
     */
    static final int MAX_SEGMENTS = 100;

    private final JsonNode data;

    DataFields(JsonNode data) {
        this.data = data;
    }

    String policyId() {
        String id = requiredText("policyId", MAX_NAME_LENGTH);
        if (!PolicyIds.isValid(id)) {
            throw FieldProblem.invalid("data.policyId \"" + Sanitize.forMessage(id)
                    + "\" must be 1 to 128 letters, digits or . _ : @ - (starting with a letter or digit)");
        }
        return id;
    }

    /** A required name: non-blank text without control characters. */
    String requiredName(String field) {
        return requiredText(field, MAX_NAME_LENGTH);
    }

    String optionalName(String field) {
        JsonNode node = present(field);
        return node == null ? null : text(field, node, MAX_NAME_LENGTH);
    }

    /**
     * An ISO 3166-1 alpha-2 code, optionally with an ISO 3166-2 subdivision ({@code US},
     * {@code US-CA}): a gateway's caller is matched against it, so a code that names no country
     * would silently restrict nobody.
     */
    String optionalJurisdiction() {
        String code = optionalName("jurisdiction");
        if (code != null) {
            Jurisdictions.problem(code).ifPresent(problem -> {
                throw FieldProblem.invalid("data.jurisdiction \"" + Sanitize.forMessage(code) + "\" is not a"
                        + " jurisdiction: " + problem);
            });
        }
        return code;
    }

    /** Free text such as a reason: newlines allowed, other control characters not. */
    String optionalText(String field) {
        JsonNode node = present(field);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw FieldProblem.invalid("data." + field + " must be a string, not " + kind(node));
        }
        String value = node.textValue();
        if (Sanitize.characters(value) > MAX_TEXT_LENGTH) {
            throw FieldProblem.invalid("data." + field + " is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        if (Sanitize.hasControlCharacters(value.replace('\n', ' ').replace('\t', ' '))) {
            throw FieldProblem.invalid("data." + field + " contains control characters");
        }
        return value;
    }

    Instant requiredTime(String field) {
        JsonNode node = present(field);
        if (node == null) {
            throw FieldProblem.invalid("data." + field + " is required");
        }
        return time(field, node);
    }

    /** Absent or {@code null} both read as {@code null} ("until further notice" for effectiveUntil). */
    Instant optionalTime(String field) {
        JsonNode node = present(field);
        return node == null ? null : time(field, node);
    }

    boolean has(String field) {
        return data.has(field);
    }

    List<String> segments(boolean required) {
        JsonNode node = present("segments");
        if (node == null) {
            if (required) {
                throw FieldProblem.invalid("data.segments is required: a non-empty list such as [\"police\"]");
            }
            return List.of(Names.EVERYONE);
        }
        if (!node.isArray() || node.isEmpty()) {
            throw FieldProblem.invalid("data.segments must be a non-empty list of names such as [\"police\"]");
        }
        if (node.size() > MAX_SEGMENTS) {
            throw FieldProblem.invalid("data.segments lists " + node.size() + " names; the limit is " + MAX_SEGMENTS);
        }
        List<String> segments = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        int i = 0;
        for (JsonNode item : node) {
            String segment = text("segments[" + i++ + "]", item, MAX_NAME_LENGTH);
            if (keys.add(Names.key(segment))) { // a name given again, as written or folded, counts once
                segments.add(segment);
            }
        }
        return List.copyOf(segments);
    }

    List<ExemptionGrant> exemptions() {
        JsonNode node = present("exemptions");
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            throw FieldProblem.invalid("data.exemptions must be a list of {\"organization\", \"purpose\"} objects");
        }
        List<ExemptionGrant> grants = new ArrayList<>();
        Set<String> organizations = new HashSet<>(); // keys: compared with each grant before, 2,400 took 1.5 s
        int i = 0;
        for (JsonNode item : node) {
            if (!item.isObject()) {
                throw FieldProblem.invalid("data.exemptions[" + i + "] must be an object with an organization");
            }
            DataFields fields = new DataFields(item);
            String organization = fields.requiredNamePrefixed("exemptions[" + i + "].", "organization");
            String purpose = fields.optionalTextPrefixed("exemptions[" + i + "].", "purpose");
            if (!organizations.add(Names.key(organization))) {
                throw FieldProblem.invalid("data.exemptions names \"" + Sanitize.forMessage(organization) + "\" twice");
            }
            grants.add(new ExemptionGrant(organization, purpose));
            i++;
        }
        return List.copyOf(grants);
    }

    private String requiredNamePrefixed(String prefix, String field) {
        try {
            return requiredName(field);
        } catch (FieldProblem p) {
            throw FieldProblem.invalid(p.getMessage().replace("data." + field, "data." + prefix + field));
        }
    }

    private String optionalTextPrefixed(String prefix, String field) {
        try {
            return optionalText(field);
        } catch (FieldProblem p) {
            throw FieldProblem.invalid(p.getMessage().replace("data." + field, "data." + prefix + field));
        }
    }

    private String requiredText(String field, int maxLength) {
        JsonNode node = present(field);
        if (node == null) {
            throw FieldProblem.invalid("data." + field + " is required");
        }
        return text(field, node, maxLength);
    }

    /**
     * A name: non-blank text without control characters, within its column both as written and as
     * its key ({@link Names#key}: folding can lengthen it, "İ" becomes two characters), and with a
     * key that is not empty (a name of zero-width characters only names nothing).
     */
    private static String text(String field, JsonNode node, int maxLength) {
        if (!node.isTextual()) {
            throw FieldProblem.invalid("data." + field + " must be a string, not " + kind(node));
        }
        String value = node.textValue().strip();
        if (value.isEmpty()) {
            throw FieldProblem.invalid("data." + field + " must not be blank");
        }
        if (Sanitize.characters(value) > maxLength) {
            throw FieldProblem.invalid("data." + field + " is longer than " + maxLength + " characters");
        }
        if (Sanitize.hasControlCharacters(value)) {
            throw FieldProblem.invalid("data." + field + " contains control characters");
        }
        String key = Names.key(value);
        if (key.isEmpty()) {
            throw FieldProblem.invalid("data." + field + " has no visible characters");
        }
        int keyCharacters = Sanitize.characters(key);
        if (keyCharacters > maxLength) {
            throw FieldProblem.invalid("data." + field + " is longer than " + maxLength
                    + " characters once case-folded and normalized (" + keyCharacters + ")");
        }
        return value;
    }

    private static Instant time(String field, JsonNode node) {
        if (!node.isTextual()) {
            throw FieldProblem.invalid("data." + field + " must be a date (YYYY-MM-DD) or an RFC 3339 timestamp, not "
                    + kind(node));
        }
        Instant at = EventTimes.parse(node.textValue()).orElseThrow(() -> FieldProblem.invalid("data." + field + " \""
                + Sanitize.forMessage(node.textValue()) + "\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"));
        if (!EventTimes.isStorable(at)) {
            throw FieldProblem.invalid(EventTimes.outOfRange("data." + field, node.textValue()));
        }
        return at;
    }

    /** The field's node, or {@code null} when absent or JSON null. */
    private JsonNode present(String field) {
        JsonNode node = data.get(field);
        return node == null || node.isNull() ? null : node;
    }

    static String kind(JsonNode node) {
        if (node.isNumber()) {
            return "a number";
        } else if (node.isBoolean()) {
            return "a boolean";
        } else if (node.isArray()) {
            return "a list";
        } else if (node.isObject()) {
            return "an object";
        } else if (node.isNull()) {
            return "null";
        }
        return "a string";
    }
}
