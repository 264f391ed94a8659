package dev.moratorium.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Notification;
import dev.moratorium.policy.Policy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The JSON of CONTRACT.md §2 and §3: a policy's state record (on {@code moratorium-state} and in
 * the HTTP API) and a notification's data. Field order follows the contract, for readers' sake.
 */
public final class WireJson {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private WireJson() {
    }

    /** The policy's whole current state: the fields of its {@code moratorium-state} record. */
    public static ObjectNode state(Policy p) {
        ObjectNode node = MAPPER.createObjectNode();
        putPolicy(node, p);
        if (p.jurisdiction() != null) {
            node.put("jurisdiction", p.jurisdiction());
        }
        if (p.reason() != null) {
            node.put("reason", p.reason());
        }
        if (p.sourceUrl() != null) {
            node.put("sourceUrl", p.sourceUrl());
        }
        return node;
    }

    /** The notification's {@code data}: the fields of CONTRACT.md §2 in its order. */
    public static ObjectNode notification(Notification n) {
        Policy p = n.policy();
        ObjectNode node = MAPPER.createObjectNode();
        node.put("notificationId", n.notificationId());
        node.put("type", n.type().wireName());
        putPolicy(node, p);
        node.put("causedBy", n.causedBy());
        node.put("occurredAt", text(n.occurredAt()));
        node.put("message", n.message());
        return node;
    }

    /** The fields a state record and a notification share, in the contract's order. */
    private static void putPolicy(ObjectNode node, Policy p) {
        node.put("policyId", p.policyId());
        node.put("vendor", p.vendor());
        node.put("product", p.product());
        ArrayNode segments = node.putArray("segments");
        p.segments().forEach(segments::add);
        node.put("status", p.status().name());
        node.put("effectiveFrom", text(p.effectiveFrom()));
        node.put("effectiveUntil", text(p.effectiveUntil()));
        node.set("exemptions", exemptions(p));
    }

    /** The exemptions in force: {@code [{"organization", "purpose"}]}. */
    private static ArrayNode exemptions(Policy p) {
        ArrayNode list = MAPPER.createArrayNode();
        for (Exemption e : p.activeExemptions()) {
            ObjectNode item = list.addObject();
            item.put("organization", e.organization());
            item.put("purpose", e.purpose());
        }
        return list;
    }

    public static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String string(JsonNode node) {
        return new String(bytes(node), StandardCharsets.UTF_8);
    }

    /**
     * {@code object} (a JSON object's text) with {@code "name": value} added as its last field —
     * what parsing it, putting the field and writing it again gives for the text {@link #string}
     * writes, without a tree (the live feed does this to every notification it reads). {@code name}
     * is written as it is: a plain field name.
     *
     * @throws IllegalArgumentException if {@code object} does not end with {@code }}
     */
    public static String withLastField(String object, String name, long value) {
        int end = object.length();
        while (end > 0 && Character.isWhitespace(object.charAt(end - 1))) {
            end--;
        }
        if (end == 0 || object.charAt(end - 1) != '}') {
            throw new IllegalArgumentException("not a JSON object");
        }
        int before = end - 2;
        while (before >= 0 && Character.isWhitespace(object.charAt(before))) {
            before--;
        }
        boolean empty = before >= 0 && object.charAt(before) == '{';
        StringBuilder out = new StringBuilder(end + name.length() + 24);
        out.append(object, 0, end - 1).append(empty ? "" : ",").append('"').append(name).append("\":").append(value)
                .append('}');
        return out.toString();
    }

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
