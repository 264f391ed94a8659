package dev.moratorium.ops;

import dev.moratorium.api.ApiException;
import dev.moratorium.policy.PolicyIds;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.wire.ApiError;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/** Every policy's current state published again to {@code moratorium-state} ({@link StateRepublish}). */
@Path("/ops/state-republish")
@Produces(MediaType.APPLICATION_JSON)
public class StateRepublishResource {

    @Inject
    StateRepublish republish;

    @GET
    @Operation(operationId = "getStateRepublish", summary = "The state republication running or last run, on any replica")
    @APIResponse(responseCode = "200", description = "Its progress; status IDLE if none ever ran",
            content = @Content(schema = @Schema(implementation = StateRepublish.Progress.class)))
    public StateRepublish.Progress progress() {
        return republish.progress();
    }

    @POST
    @RolesAllowed(CallerPermissions.ADMIN)
    @Operation(operationId = "startStateRepublish", summary = "Publishes every policy's current state to moratorium-state again",
            description = "For a moratorium-state topic that lost records: policies in id order, paced by the outbox,"
                    + " in the background; started on this replica, and gone on with by another if this one stops")
    @APIResponse(responseCode = "202", description = "Started",
            content = @Content(schema = @Schema(implementation = StateRepublish.Progress.class)))
    @APIResponse(responseCode = "400", description = "after is not a policy id", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", description = "One is running (on any replica), or this replica is stopping",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public RestResponse<StateRepublish.Progress> start(@Parameter(description = "a policy id: start after it")
            @QueryParam("after") String after) {
        if (after != null && !PolicyIds.isValid(after)) {
            throw ApiException.badRequest("invalid-parameter", "after must be a policy id: 1 to 128 letters, digits"
                    + " or . _ : @ -, starting with a letter or digit");
        }
        StateRepublish.Progress started = republish.start(after == null ? "" : after).orElseThrow(() ->
                new ApiException(409, "republish-running", "a state republication is running (or this replica is"
                        + " stopping): GET /ops/state-republish says how far it is and which replica runs it"));
        return RestResponse.status(RestResponse.Status.ACCEPTED, started);
    }
}
