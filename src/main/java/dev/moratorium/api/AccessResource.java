package dev.moratorium.api;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessRules;
import dev.moratorium.store.PolicyStore;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
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
    PolicyStore policies;

    @Inject
    Clock clock;

    @GET
    @Transactional(Transactional.TxType.SUPPORTS)
    public AccessDecision access(@QueryParam("vendor") String vendor, @QueryParam("product") String product,
            @QueryParam("segment") String segment, @QueryParam("organization") String organization,
            @QueryParam("at") String at) {
        String v = Params.required("vendor", vendor);
        String p = Params.required("product", product);
        String s = Params.required("segment", segment);
        String o = Params.optional("organization", organization);
        Instant instant = Params.instant("at", at, clock.instant());
        return AccessRules.decide(policies.byVendorAndProduct(v, p), s, o, instant);
    }
}
