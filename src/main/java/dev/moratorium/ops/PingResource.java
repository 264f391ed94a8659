package dev.moratorium.ops;

import dev.moratorium.api.QueryParameters;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.extensions.Extension;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The cheapest answer this server gives, served the same way as {@code /access} (a JAX-RS method
 * on the same HTTP stack, on the event loop like it): the baseline that bench/decisions compares
 * access decisions with. It is sent the same requests as {@code /access}, query strings and all,
 * and answers them all.
 */
@Path("/ops/ping")
public class PingResource {

    @GET
    @NonBlocking
    @Extension(name = QueryParameters.ANY_QUERY, value = "true")
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(operationId = "ping", summary = "The cheapest answer: the baseline of the decisions benchmark")
    public String ping() {
        return "pong";
    }
}
