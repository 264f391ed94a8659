package dev.moratorium.security;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.moratorium.wire.ApiError;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.WireJson;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.security.AuthenticationException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * JSON errors for what fails before (or outside) a REST endpoint: the security checks (401, 403),
 * the body limit (413), paths nothing serves (404), and anything unexpected. {@code api.ErrorMapper} does
 * the same inside the REST layer. Without this, Quarkus answers such failures with an empty body
 * or its own error page, which may carry a stack trace.
 */
@ApplicationScoped
public class HttpErrors {

    private static final Logger LOG = Logger.getLogger(HttpErrors.class);

    /** {@code quarkus.http.limits.max-body-size}: Quarkus enforces it too, but answers with an empty body. */
    @ConfigProperty(name = "quarkus.http.limits.max-body-size")
    Optional<MemorySize> maxBodySize;

    void install(@Observes Router router) {
        // First among failure handlers, so Quarkus' default error page never answers.
        router.route().order(Integer.MIN_VALUE).failureHandler(HttpErrors::handle);
        // Just before Quarkus' own body-limit check: the same check, answered in JSON.
        maxBodySize.ifPresent(limit -> router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1)
                .handler(context -> checkBodySize(context, limit.asLongValue())));
    }

    private static void checkBodySize(RoutingContext context, long limit) {
        String length = context.request().getHeader("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared < 0) {
                context.response().putHeader("Connection", "close");
                send(context.response(), 400, "bad-request", "Content-Length is not a number of bytes");
                return;
            }
            if (declared > limit) {
                // Answer without reading the body, and close: the client may still be sending it.
                context.response().putHeader("Connection", "close");
                context.response().endHandler(ended -> context.request().connection().close());
                send(context.response(), 413, "too-large", "the request body is " + declared
                        + " bytes; the limit is " + limit);
                return;
            }
        }
        context.next();
    }

    static void handle(RoutingContext context) {
        HttpServerResponse response = context.response();
        if (response.ended() || response.headWritten()) {
            return;
        }
        Throwable failure = context.failure();
        if (response.closed() || clientGone(failure)) {
            // the client went, or was cut for taking nothing (AnswersInFlight): the answer's writer failed, not
            // the service (the close may not have reached the response yet); one ERROR per answer was a hundred
            // for one HTTP/2 connection
            LOG.debugf("No answer to %s %s: it could not be written to its client (%s)", context.request().method().name(),
                    Sanitize.forLog(context.normalizedPath()), Sanitize.forLog(String.valueOf(failure)));
            if (!response.closed()) {
                // no client left waiting for an answer that can no longer come: the stream reset, or the HTTP/1.1
                // connection closed
                response.reset();
            }
            return;
        }
        if (failure instanceof ForbiddenException) {
            send(response, 403, "forbidden", CallerPermissions.isRead(context.request().method().name())
                    ? "reading needs role " + CallerPermissions.VIEWER + " or " + CallerPermissions.ADMIN
                    : "this needs role " + CallerPermissions.ADMIN);
        } else if (failure instanceof UnauthorizedException || failure instanceof AuthenticationException) {
            sendUnauthorized(context);
        } else {
            int status = failure instanceof HttpException e ? e.getStatusCode()
                    : failure == null && context.statusCode() >= 400 ? context.statusCode() : 500;
            if (status >= 500) {
                LOG.errorf(failure, "Unexpected error answering %s %s", context.request().method().name(),
                        Sanitize.forLog(context.normalizedPath()));
            }
            ApiError error = ApiError.forStatus(status);
            send(response, status, error.error(), error.message());
        }
    }

    /**
     * Whether the request failed because its connection did: an I/O error of the answer's write (the
     * service's own I/O is the database's, which throws no IOException), but not a JSON error,
     * which Jackson also reports as one. The one rule for the REST layer ({@code api.ErrorMapper})
     * and for the failures outside it.
     */
    public static boolean clientGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpClosedException
                    || t instanceof IOException && !(t instanceof JacksonException)) {
                return true;
            }
        }
        return false;
    }

    /** 401, saying whether a token was missing or refused — never why it was refused (that would help forge one). */
    public static void sendUnauthorized(RoutingContext context) {
        send(context.response(), 401, "unauthorized",
                unauthorizedMessage(context.request().headers().contains("Authorization")));
    }

    public static String unauthorizedMessage(boolean tokenSent) {
        return tokenSent
                ? "the bearer token was not accepted; send a valid, unexpired JWT from the configured issuer"
                : "this request needs a bearer token (JWT) with the right role; see the README's Security section";
    }

    /** Writes {@code {"error", "message"}} with the status and ends the response (401 also names the scheme). */
    public static void send(HttpServerResponse response, int status, String code, String message) {
        String body;
        try {
            body = WireJson.MAPPER.writeValueAsString(new ApiError(code, message));
        } catch (JsonProcessingException e) {
            body = "{\"error\":\"internal-error\",\"message\":\"the service could not answer\"}";
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json");
        if (status == 401) {
            response.putHeader("WWW-Authenticate", "Bearer");
        }
        response.end(body);
    }
}
