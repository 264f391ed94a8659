package dev.moratorium.ops;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The cheapest answer this server gives, served the same way as {@code /access} (a JAX-RS method
 * on the same HTTP stack): the baseline that bench/decisions compares access decisions with.
 */
@Path("/ops/ping")
public class PingResource {

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String ping() {
        return "pong";
    }
}
