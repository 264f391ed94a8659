package dev.moratorium.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.Sanitize;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.policy.TimeText;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.wire.WireJson;
import io.quarkus.panache.common.Sort;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Current policies, one policy, and a policy's history. */
@Path("/moratoria")
@Produces(MediaType.APPLICATION_JSON)
@Transactional(Transactional.TxType.SUPPORTS)
public class MoratoriaResource {

    @Inject
    PolicyStore policies;

    @Inject
    MoratoriumConfig config;

    @Inject
    PoliciesAsKnown asKnown;

    @GET
    public ObjectNode list(@QueryParam("status") String status, @QueryParam("vendor") String vendor,
            @QueryParam("product") String product, @QueryParam("segment") String segment,
            @QueryParam("page") String page, @QueryParam("size") String size) {
        var filter = new PolicyStore.PolicyFilter(status(status), Params.optional("vendor", vendor),
                Params.optional("product", product), Params.optional("segment", segment));
        int pageNumber = Params.integer("page", page, 0, 0, 1_000_000);
        int pageSize = Params.integer("size", size, config.api().defaultPageSize(), 1, config.api().maxPageSize());
        PolicyStore.PolicyPage result = policies.page(filter, pageNumber, pageSize);
        ObjectNode body = WireJson.MAPPER.createObjectNode();
        ArrayNode items = body.putArray("items");
        result.items().forEach(p -> items.add(WireJson.state(p)));
        body.put("page", result.page());
        body.put("size", result.size());
        body.put("total", result.total());
        return body;
    }

    @GET
    @Path("/{policyId}")
    public ObjectNode get(@PathParam("policyId") String policyId, @QueryParam("asOf") String asOf) {
        Instant known = Params.instant("asOf", asOf, null);
        return WireJson.state(known == null ? existing(policyId) : asKnownBy(policyId, known));
    }

    @GET
    @Path("/{policyId}/history")
    public ArrayNode history(@PathParam("policyId") String policyId) {
        existing(policyId);
        List<PolicyEventEntity> events = PolicyEventEntity.list("policyId", Sort.ascending("id"), policyId);
        ArrayNode body = WireJson.MAPPER.createArrayNode();
        for (PolicyEventEntity e : events) {
            ObjectNode item = body.addObject();
            item.put("id", e.eventId);
            item.put("type", e.type);
            item.put("time", WireJson.text(e.eventTime));
            JsonNode data = WireJson.parse(e.data);
            item.set("data", data);
            item.put("receivedAt", WireJson.text(e.receivedAt));
        }
        return body;
    }

    /** An id that could never have been announced (wrong characters, too long) is not even looked up. */
    private Policy existing(String policyId) {
        return (PolicyIds.isValid(policyId) ? policies.find(policyId) : Optional.<Policy>empty())
                .orElseThrow(() -> ApiException.notFound("unknown-policy",
                        "no policy \"" + Sanitize.forMessage(policyId) + "\" has been announced"));
    }

    /** The policy as its events known by {@code asOf} made it, with its status at {@code asOf}. */
    private Policy asKnownBy(String policyId, Instant asOf) {
        return (PolicyIds.isValid(policyId) ? asKnown.policy(policyId, asOf) : Optional.<Policy>empty())
                .orElseThrow(() -> ApiException.notFound("unknown-policy", "no policy \""
                        + Sanitize.forMessage(policyId) + "\" had been announced by " + TimeText.of(asOf)));
    }

    private static PolicyStatus status(String status) {
        String value = Params.optional("status", status);
        if (value == null) {
            return null;
        }
        try {
            return PolicyStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-parameter", "status must be one of "
                    + Arrays.toString(PolicyStatus.values()));
        }
    }
}
