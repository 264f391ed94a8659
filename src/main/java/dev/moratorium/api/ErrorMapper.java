package dev.moratorium.api;

import dev.moratorium.security.CallerPermissions;
import dev.moratorium.security.HttpErrors;
import dev.moratorium.store.SqlStates;
import dev.moratorium.store.WriterLockTimeout;
import dev.moratorium.wire.ApiError;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error is JSON with the right status, and never shows a stack trace or SQL. (Failures
 * outside the REST layer — security checks on static files, the body limit — are
 * {@link HttpErrors}'.)
 */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        Response response = json(e.status(), e.code(), e.getMessage());
        if (e.retryAfterSeconds() > 0) {
            return Response.fromResponse(response).header("Retry-After", e.retryAfterSeconds()).build();
        }
        return response;
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        ApiError error = ApiError.forStatus(status);
        return json(status, error.error(), error.message());
    }

    /** {@code @RolesAllowed} without a token, or with one that did not verify. */
    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized(RuntimeException e, HttpHeaders headers) {
        String message = HttpErrors.unauthorizedMessage(headers.getHeaderString("Authorization") != null);
        return Response.fromResponse(json(401, "unauthorized", message)).header("WWW-Authenticate", "Bearer").build();
    }

    /** {@code @RolesAllowed} with a token that lacks the role. */
    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return json(403, "forbidden", "this needs role " + CallerPermissions.ADMIN);
    }

    /** Another writer held the writers' lock too long: the service is briefly unavailable, not the request wrong. */
    @ServerExceptionMapper
    public Response writerLockBusy(WriterLockTimeout e) {
        return busy("the service is busy writing; try again in a few seconds");
    }

    /** A write that waited its limit for a lock: 503 with the wait a client should leave before trying again. */
    private static Response busy(String message) {
        return Response.fromResponse(json(503, "busy", message)).header("Retry-After", "5").build();
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        if (SqlStates.lockNotGranted(e)) {
            // a row or lock this write needs stayed held past moratorium.writers.lock-timeout (a frozen replica?)
            LOG.warnf("A write over HTTP waited for a lock past its timeout; answered 503: %s", e.getMessage());
            return busy("another transaction holds what this write changes; try again in a few seconds");
        }
        if (HttpErrors.clientGone(e)) {
            // The client left before its answer was written (a reset, a closed laptop): its doing, not
            // the service's, and there is nobody to answer. Logged at ERROR with a stack trace, a burst
            // of such clients read like a failing service (StreamsAndRetentionTest).
            LOG.debugf("A client left before its answer was written: %s", e);
        } else {
            LOG.error("Unexpected error answering a request", e);
        }
        ApiError error = ApiError.forStatus(500);
        return json(500, error.error(), error.message());
    }

    static Response json(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(code, message)).build();
    }
}
