package dev.moratorium.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.Sanitize;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.store.PolicyEventEntity;
import dev.moratorium.store.PolicyReads;
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
    PolicyReads reads;

    @Inject
    MoratoriumConfig config;

    /**
     * Paged by policy id. {@code after} (the previous page's {@code next}) is a keyset cursor and
     * costs the same at any depth; {@code page} is an offset, paid by skipping rows, so it is
     * capped (moratorium.api.max-offset). See PolicyReads for how {@code total} is counted.
     */
    @GET
    public ObjectNode list(@QueryParam("status") String status, @QueryParam("vendor") String vendor,
            @QueryParam("product") String product, @QueryParam("segment") String segment,
            @QueryParam("page") String page, @QueryParam("size") String size, @QueryParam("after") String after) {
        var filter = new PolicyReads.PolicyFilter(status(status), Params.optional("vendor", vendor),
                Params.optional("product", product), Params.optional("segment", segment));
        int pageNumber = Params.integer("page", page, 0, 0, 1_000_000);
        int pageSize = Params.integer("size", size, config.api().defaultPageSize(), 1, config.api().maxPageSize());
        String cursor = Params.optional("after", after);
        if (cursor != null && pageNumber > 0) {
            throw ApiException.badRequest("invalid-parameter", "after and page cannot be used together");
        }
        long offset = (long) pageNumber * pageSize;
        if (offset > config.api().maxOffset()) {
            throw ApiException.badRequest("invalid-parameter", "page * size must be at most "
                    + config.api().maxOffset() + "; walk deeper with the after cursor (each page's next)");
        }
        PolicyReads.PolicyPage result = reads.page(filter, cursor, (int) offset, pageSize, config.api().countCap());
        ObjectNode body = WireJson.MAPPER.createObjectNode();
        ArrayNode items = body.putArray("items");
        result.items().forEach(p -> items.add(WireJson.state(p)));
        body.put("page", pageNumber);
        body.put("size", pageSize);
        body.put("next", result.next());
        body.put("totalExact", result.totalExact());
        // total stays last, where v1 clients and the README's walkthrough see it
        body.put("total", result.total());
        return body;
    }

    @GET
    @Path("/{policyId}")
    public ObjectNode get(@PathParam("policyId") String policyId) {
        return WireJson.state(existing(policyId));
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
