package dev.moratorium.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessRules;
import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
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

    @Inject
    ObjectMapper mapper;

    private ObjectWriter writer;

    @PostConstruct
    void init() {
        writer = mapper.writerFor(AccessDecision.class);
    }

    /**
     * Answered from memory (see PolicyIndex): no database query per request. The decision is
     * serialised here, by the application's ObjectMapper (so the JSON is what the Jackson body
     * writer would produce), and returned as a string: the body writer's output-stream path cost
     * more than the decision itself (async-profiler, bench/decisions).
     */
    @GET
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
        AccessDecision decision = AccessRules.decide(index.policiesFor(v, p), s, o, instant);
        try {
            return writer.writeValueAsString(decision);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
