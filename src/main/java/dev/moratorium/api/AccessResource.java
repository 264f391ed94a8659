package dev.moratorium.api;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessRules;
import dev.moratorium.readmodel.PolicyIndex;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** The access decision gateways ask for on every call they serve. */
@Path("/access")
@Produces(MediaType.APPLICATION_JSON)
public class AccessResource {

    @Inject
    PolicyIndex index;

    @Inject
    Clock clock;

    /**
     * Answered from memory (see PolicyIndex): no database query per request. The decision is
     * serialised here (AccessDecisionJson: the bytes Jackson would write) and returned as a
     * string: Jackson's body writer, with its output-stream path, cost more than the decision
     * itself (async-profiler, bench/decisions). Nothing here blocks (memory and the clock only), so
     * it runs on the event loop, without a hop to a worker thread.
     */
    @GET
    @NonBlocking
    @Operation(operationId = "decideAccess", summary = "May this caller use this product at this instant?")
    @APIResponse(responseCode = "400", description = "A parameter is missing or not valid", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "The policies are still being loaded at start-up", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "200", description = "The decision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = AccessDecision.class)))
    public String access(@QueryParam("vendor") String vendor, @QueryParam("product") String product,
            @QueryParam("segment") String segment, @QueryParam("organization") String organization,
            @QueryParam("at") String at) {
        String v = Params.required("vendor", vendor);
        String p = Params.required("product", product);
        String s = Params.required("segment", segment);
        String o = Params.optional("organization", organization);
        Instant instant = Params.instant("at", at, clock.instant());
        if (!index.isLoaded()) {
            // an empty index would answer "allowed" for everything; readiness is DOWN meanwhile
            throw new ApiException(503, "index-loading", "the policies are still being loaded; try again shortly");
        }
        return AccessDecisionJson.write(AccessRules.decide(index.policiesFor(v, p), s, o, instant));
    }
}
