package dev.moratorium.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a {@code moratorium-state} record value — the JSON the service writes with
 * {@code WireJson.state} — into the domain's {@link Policy}, so the client decides with the same
 * {@code AccessRules} as the service.
 *
 * <p>What the state record does not carry, and what follows from that:
 * <ul>
 * <li>the policy's kind: a product withdrawal is recognised by its status {@code WITHDRAWN}; a
 * withdrawal that has not started yet reads as a moratorium until further notice (same decision,
 * the reason says "suspended" instead of "withdrawn");</li>
 * <li>exemption intervals: only the exemptions in force are listed, without when they were granted,
 * so the client honours today's exemptions at every instant, where the service also honours
 * exemptions that were granted later or revoked since: decisions about past instants can differ,
 * and so can decisions about later instants when a grant or revocation carried a CloudEvent
 * {@code time} ahead of the service clock (the client holds a grant timed next week from now on,
 * and drops a revocation timed next week at once);</li>
 * <li>{@code liftedAt}: a lift is already in {@code effectiveUntil}, which is all a decision reads.</li>
 * </ul>
 */
public final class StateRecords {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StateRecords() {
    }

    /** @throws IllegalArgumentException when the value is not a state record */
    public static Policy parse(byte[] value) {
        try {
            return policy(JSON.readTree(value));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a moratorium-state record: " + e.getMessage(), e);
        }
    }

    static Policy policy(JsonNode node) {
        PolicyStatus status = PolicyStatus.valueOf(required(node, "status"));
        List<String> segments = new ArrayList<>();
        node.path("segments").forEach(s -> segments.add(s.asText()));
        List<Exemption> exemptions = new ArrayList<>();
        for (JsonNode e : node.path("exemptions")) {
            exemptions.add(Exemption.fromStart(e.path("organization").asText(), text(e, "purpose").orElse(null)));
        }
        Instant from = Instant.parse(required(node, "effectiveFrom"));
        Instant until = text(node, "effectiveUntil").map(Instant::parse).orElse(null);
        return new Policy(required(node, "policyId"),
                status == PolicyStatus.WITHDRAWN ? PolicyKind.WITHDRAWAL : PolicyKind.MORATORIUM,
                required(node, "vendor"), required(node, "product"), segments, status, from, until,
                status == PolicyStatus.LIFTED ? until : null, exemptions,
                text(node, "jurisdiction").orElse(null), text(node, "reason").orElse(null),
                text(node, "sourceUrl").orElse(null), null);
    }

    private static String required(JsonNode node, String field) {
        return text(node, field).orElseThrow(() -> new IllegalArgumentException(field + " is missing"));
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }
}
