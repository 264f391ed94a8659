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

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
