package dev.moratorium.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessExplainer;
import dev.moratorium.policy.AccessRules;
import dev.moratorium.readmodel.PoliciesAsKnown;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.policy.Policy;
import dev.moratorium.wire.ApiError;
import io.quarkus.vertx.http.Uncompressed;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** The access decision gateways ask for on every call they serve. */
@Path("/access")
@Produces(MediaType.APPLICATION_JSON)
public class AccessResource {

    /**
     * Decisions reading exemptions from the database at once, per replica. Each holds a connection
     * (11 ms for a product of 10 policies held without them), gateways may ask hundreds a second,
     * and the writers share the pool's 16 connections; past these, a decision waits for its turn,
     * holding no connection, and after 2 s is told 503 {@code busy}.
     */
    static final ChunkedList.Places STORE_READS = new ChunkedList.Places(4, Duration.ofSeconds(2),
            "as many access decisions reading exemptions from the database as this replica makes at once are being"
                    + " made; try again shortly");

    @Inject
    PolicyIndex index;

    @Inject
    PoliciesAsKnown asKnown;

    @Inject
    Clock clock;

    @Inject
    ObjectMapper json;

    /**
     * Answered from memory (see PolicyIndex): no database query per request, but for a caller
     * named on a policy whose exemptions are too large to hold, whose exemptions are read. The decision is
     * serialised here (AccessDecisionJson: the bytes Jackson would write) and returned as a
     * string: Jackson's body writer, with its output-stream path, cost more than the decision
     * itself (async-profiler, bench/decisions). Nothing here blocks (memory and the clock only), so
     * it runs on the event loop, without a hop to a worker thread — with {@code asOf} too while the
     * product's histories are kept in memory (PoliciesAsKnown); otherwise they are read from the
     * database on a worker thread. A {@code CompletionStage}, not a {@code Uni}: every {@code Uni}
     * created is wrapped by SmallRye context propagation, which captures a snapshot of each
     * context (CDI, JTA, Vert.x) per request (a fifth of what this endpoint's own frames allocated;
     * BENCHMARKS.md, eighteenth pass); an answer from memory is a completed future, and nothing on
     * the database path needs the request's contexts (its transaction is its own).
     *
     * <p>Never compressed, though gateways ask for it (Go's client does by default): the answer is
     * about 100 bytes, and gzip's header, trailer and a deflater for each would cost more than they
     * save on the one path every gateway call waits on.
     */
    @GET
    @NonBlocking
    @Uncompressed
    @Operation(operationId = "decideAccess", summary = "May this caller use this product at this instant?", description = """
            Two time axes. `at` is when the access happens: the decision honours restriction and \
            exemption intervals at that instant (default: now, on the service clock). `asOf` is what \
            was known: the answer uses only the events whose CloudEvent `time` (when the vendor \
            announced the change; the time the record was read if it had none) is at or before `asOf` \
            — "on day K, what would we have answered for instant T?". Without `asOf` every applied \
            event counts. A policy with a `jurisdiction` applies only to callers in it (`US-CA` is in \
            `US`); a caller who gives none is subject to every policy, and a reason given by a policy \
            with a jurisdiction then says so. `explain=true` adds an `explanation` object; the other \
            fields stay as without it.""")
    @APIResponse(responseCode = "503", description = "The policies are still being loaded at start-up (index-loading), or,"
            + " for a decision that must read a policy's exemptions from the database, as many such reads as a replica"
            + " makes at once are under way (busy, with Retry-After)",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "200", description = "The decision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = AccessDecision.class)))
    @APIResponse(responseCode = "400", description = "A missing or invalid parameter (missing-parameter, invalid-parameter)",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public CompletionStage<String> access(@QueryParam("vendor") String vendor, @QueryParam("product") String product,
            @QueryParam("segment") String segment, @QueryParam("organization") String organization,
            @Parameter(description = "When the access happens: RFC 3339 or YYYY-MM-DD (midnight UTC), years 0000 to 9999; default now")
            @QueryParam("at") String at,
            @Parameter(description = "Where the caller is: ISO 3166-1 alpha-2, optionally - and an ISO 3166-2"
                    + " subdivision (US, US-CA, GB); absent = every policy applies")
            @QueryParam("jurisdiction") String jurisdiction,
            @Parameter(description = "What was known: only events whose CloudEvent time is at or before this"
                    + " instant count (RFC 3339 or YYYY-MM-DD, years 0000 to 9999); absent = every applied event")
            @QueryParam("asOf") String asOf,
            @Parameter(description = "true adds an explanation object: the policies considered, each check, the rule")
            @QueryParam("explain") String explain) {
        String v = Params.required("vendor", vendor);
        String p = Params.required("product", product);
        String s = Params.required("segment", segment);
        String o = Params.optional("organization", organization);
        Instant instant = Params.instant("at", at, clock.instant());
        if (!index.isLoaded()) {
            // an empty index would answer "allowed" for everything; readiness is DOWN meanwhile
            throw new ApiException(503, "index-loading", "the policies are still being loaded; try again shortly");
        }
        String j = Params.jurisdiction("jurisdiction", jurisdiction);
        Instant known = Params.instant("asOf", asOf, null);
        boolean explained = Params.flag("explain", explain);
        if (known == null) {
            List<Policy> policies = index.policiesFor(v, p);
            if (o == null || index.holdsEveryExemption()) {
                return CompletableFuture.completedFuture(answer(index.narrowedTo(policies, o), s, o, j, instant, null,
                        explained));
            }
            Predicate<Policy> exemptionsRead = explained ? policy -> AccessExplainer.readsExemptions(policy, s, j)
                    : policy -> AccessRules.readsExemptions(policy, s, j, instant);
            if (index.holdsExemptionsOf(policies, exemptionsRead)) {
                return CompletableFuture.completedFuture(answer(index.narrowedTo(policies, o), s, o, j, instant, null,
                        explained));
            }
            // a policy held without its exemptions (PolicyIndex): the organization's are read, off the event loop
            return CompletableFuture.supplyAsync(() -> {
                STORE_READS.take();
                try {
                    return answer(index.withExemptionsOf(policies, o, exemptionsRead), s, o, j, instant, null, explained);
                } finally {
                    STORE_READS.giveBack();
                }
            }, Infrastructure.getDefaultWorkerPool());
        }
        var kept = asKnown.keptPoliciesFor(v, p, known);
        if (kept.isPresent()) {
            return CompletableFuture.completedFuture(answer(kept.get(), s, o, j, instant, known, explained));
        }
        // of each policy read from the database, the organization's exemptions are all an answer reads
        return CompletableFuture.supplyAsync(() -> answer(asKnown.policiesFor(v, p, known,
                policy -> policy.withExemptionsOnlyOf(o)), s, o, j, instant, known, explained),
                Infrastructure.getDefaultWorkerPool());
    }

    private String answer(List<Policy> policies, String segment, String organization, String jurisdiction,
            Instant at, Instant asOf, boolean explained) {
        if (!explained) {
            return AccessDecisionJson.write(AccessRules.decide(policies, segment, organization, jurisdiction, at));
        }
        var e = AccessExplainer.explain(policies, segment, organization, jurisdiction, at, asOf);
        try {
            return AccessDecisionJson.withExplanation(e.decision(), json.writeValueAsString(e.explanation()));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("an explanation that Jackson cannot write", ex);
        }
    }
}
