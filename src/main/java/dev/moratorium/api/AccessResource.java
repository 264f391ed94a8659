package dev.moratorium.api;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessRules;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;

/** The access decision gateways ask for on every call they serve. */
@Path("/access")
@Produces(MediaType.APPLICATION_JSON)
public class AccessResource {

    @Inject
    PolicyIndex index;

    @Inject
    Clock clock;

    /** Answered from memory (see PolicyIndex): no database query per request. */
    @GET
    public AccessDecision access(@QueryParam("vendor") String vendor, @QueryParam("product") String product,
            @QueryParam("segment") String segment, @QueryParam("organization") String organization,
            @QueryParam("at") String at) {
        String v = Params.required("vendor", vendor);
        String p = Params.required("product", product);
        String s = Params.required("segment", segment);
        String o = Params.optional("organization", organization);
        Instant instant = Params.instant("at", at, clock.instant());
        return AccessRules.decide(index.policiesFor(v, p), s, o, instant);
    }
}
