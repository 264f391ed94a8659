package dev.moratorium.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.moratorium.clock.Wall;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.store.WebhookSubscriptionEntity;
import dev.moratorium.webhook.InvalidSubscription;
import dev.moratorium.webhook.SubscriptionLimitReached;
import dev.moratorium.webhook.Subscriptions;
import dev.moratorium.wire.ApiError;
import dev.moratorium.wire.Sanitize;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Webhook subscribers (CONTRACT.md §5): each gets every notification's {@code data} POSTed, signed
 * per Standard Webhooks (see webhook.DeliveryWorkers). Writes need {@code moratorium-admin}; reads
 * are like every other read. Bodies are parsed here, not by the framework, so a malformed one gets
 * the API's JSON error with a sentence.
 */
@Path("/subscriptions")
@Produces(MediaType.APPLICATION_JSON)
public class SubscriptionsResource {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @Inject
    Subscriptions subscriptions;

    @Inject
    @Wall
    Clock wall;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "createSubscription", summary = "Subscribe a URL; the answer carries the signing secret, shown this once")
    @RequestBody(required = true, content = @Content(schema = @Schema(implementation = SubscriptionRequest.class)))
    @APIResponse(responseCode = "201", description = "Created, with its secret",
            content = @Content(schema = @Schema(implementation = SubscriptionJson.class)))
    @APIResponse(responseCode = "400", description = "invalid-field: a field (the URL, a type...) is not acceptable",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", description = "subscription-limit: moratorium.webhooks.max-subscriptions exist already",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "busy: a lock the write needs stayed held past the lock timeout; see Retry-After",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response create(String body) {
        SubscriptionRequest request = read(body, SubscriptionRequest.class);
        Subscriptions.Created created = valid(() -> subscriptions.create(request.url(), request.types(),
                request.vendors(), request.description()));
        return Response.created(URI.create("/subscriptions/" + created.subscription().id))
                .entity(SubscriptionJson.of(created.subscription(), created.secret(), wall.instant())).build();
    }

    @GET
    @Operation(operationId = "listSubscriptions", summary = "Every subscription, oldest first (without secrets);"
            + " at most moratorium.webhooks.max-subscriptions")
    public List<SubscriptionJson> list() {
        return subscriptions.list().stream().map(s -> SubscriptionJson.of(s, null, wall.instant())).toList();
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "getSubscription", summary = "One subscription: its filters, status and delivery cursor")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = SubscriptionJson.class)))
    @APIResponse(responseCode = "404", description = "unknown-subscription",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public SubscriptionJson get(@PathParam("id") String id) {
        return SubscriptionJson.of(known(id, () -> subscriptions.find(id)), null, wall.instant());
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "changeSubscription", summary = "Pause or resume (paused), change URL or filters, or rotate the secret (rotateSecret)")
    @RequestBody(required = true, content = @Content(schema = @Schema(implementation = SubscriptionPatch.class)))
    @APIResponse(responseCode = "200", description = "The subscription; secret only when rotated",
            content = @Content(schema = @Schema(implementation = SubscriptionJson.class)))
    @APIResponse(responseCode = "503", description = "busy: a lock the write needs stayed held past the lock timeout; see Retry-After",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public SubscriptionJson change(@PathParam("id") String id, String body) {
        SubscriptionPatch patch = read(body, SubscriptionPatch.class);
        Subscriptions.Changes changes = new Subscriptions.Changes(Optional.ofNullable(patch.url()),
                Optional.ofNullable(patch.types()), Optional.ofNullable(patch.vendors()),
                Optional.ofNullable(patch.description()), Optional.ofNullable(patch.paused()),
                Boolean.TRUE.equals(patch.rotateSecret()));
        Subscriptions.Changed changed = known(id, () -> valid(() -> subscriptions.change(id, changes)));
        return SubscriptionJson.of(changed.subscription(), changed.newSecret().orElse(null), wall.instant());
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "deleteSubscription", summary = "Unsubscribe; its delivery log goes with it")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "503", description = "busy: a lock the write needs stayed held past the lock timeout; see Retry-After",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response delete(@PathParam("id") String id) {
        known(id, () -> subscriptions.delete(id) ? Optional.of(true) : Optional.empty());
        return Response.noContent().build();
    }

    @GET
    @Path("/{id}/deliveries")
    @Operation(operationId = "listSubscriptionDeliveries", summary = "Delivery attempts, oldest first; after = the last attempt id seen")
    public List<DeliveryJson> deliveries(@PathParam("id") String id, @QueryParam("after") String after,
            @QueryParam("limit") String limit) {
        long cursor = Params.cursor("after", after);
        int max = Params.integer("limit", limit, 100, 1, 500);
        return known(id, () -> subscriptions.deliveries(id, cursor, max)).stream().map(DeliveryJson::of).toList();
    }

    @POST
    @Path("/{id}/replay")
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "replaySubscription", summary = "Deliver again every matching notification after sequence `after` (0: from the start)")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = SubscriptionJson.class)))
    @APIResponse(responseCode = "503", description = "busy: a lock the write needs stayed held past the lock timeout; see Retry-After",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public SubscriptionJson replay(@PathParam("id") String id, @QueryParam("after") String after) {
        long from = Params.cursor("after", after);
        return SubscriptionJson.of(known(id, () -> valid(() -> subscriptions.replay(id, from))), null, wall.instant());
    }

    /** An id that could never exist is a 404 without a database query. */
    private static <T> T known(String id, Supplier<Optional<T>> lookup) {
        if (id == null || !ID.matcher(id).matches()) {
            throw unknown(id);
        }
        return lookup.get().orElseThrow(() -> unknown(id));
    }

    private static ApiException unknown(String id) {
        return ApiException.notFound("unknown-subscription", "no webhook subscription has this id");
    }

    private static <T> T valid(Supplier<T> write) {
        try {
            return write.get();
        } catch (InvalidSubscription e) {
            throw ApiException.badRequest("invalid-field", e.getMessage());
        } catch (SubscriptionLimitReached e) {
            throw new ApiException(409, "subscription-limit", e.getMessage());
        }
    }

    /**
     * Bodies are read as strictly as policy-change records are: a field given twice, anything after
     * the object, or a number or boolean where text is due (or text where a boolean is) is refused.
     * Read leniently, {"url": A, "url": B} subscribed B, a description of 12 was kept as "12", and
     * an object followed by garbage was taken.
     */
    private static final ObjectMapper BODIES = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, text -> text
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private static <T> T read(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            throw ApiException.badRequest("invalid-field", "the request needs a JSON object body");
        }
        try {
            T value = BODIES.readerFor(type).readValue(body);
            if (value == null) {
                throw ApiException.badRequest("invalid-field", "the request needs a JSON object body");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("invalid-field", "unknown field \"" + shorten(e.getPropertyName())
                    + "\"; the fields are " + String.join(", ", fields(type)));
        } catch (MismatchedInputException e) {
            if (e.getPath().isEmpty() && String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
                throw ApiException.badRequest("invalid-field", "the body holds more than one JSON value");
            }
            String field = e.getPath().isEmpty() ? "the body" : e.getPath().get(0).getFieldName();
            throw ApiException.badRequest("invalid-field", field + " has the wrong type");
        } catch (JsonProcessingException e) {
            String problem = String.valueOf(e.getOriginalMessage());
            throw ApiException.badRequest("invalid-field", problem.startsWith("Duplicate field")
                    ? "the body gives a field twice (" + Sanitize.forMessage(problem) + ")" : "the body is not valid JSON");
        }
    }

    private static List<String> fields(Class<?> record) {
        return Arrays.stream(record.getRecordComponents()).map(c -> c.getName()).toList();
    }

    private static String shorten(String s) {
        String one = s == null ? "" : s.replaceAll("[\\p{Cntrl}]", "?");
        return one.length() > 60 ? one.substring(0, 60) + "…" : one;
    }
}
