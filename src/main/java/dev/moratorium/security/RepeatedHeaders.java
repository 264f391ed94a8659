package dev.moratorium.security;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * A request that gives a single-valued header twice is refused (400 {@code bad-request}) before
 * anything reads it: before authentication, the body limit and every route. HTTP forbids sending
 * such a header twice (RFC 9110, section 5.3), and the readers disagree on which one counts: the
 * bearer-token check and JAX-RS read the first {@code Authorization} or {@code Content-Type}, while
 * a proxy, a log or an audit rule in front of the service may read the last. One request would then
 * be two callers, or two bodies, depending on who looked. (Query parameters: {@code api.QueryParameters}.)
 */
@ApplicationScoped
public class RepeatedHeaders {

    /** The headers this service, Quarkus or Vert.x read as one value. List-valued ones (Accept, ...) may repeat. */
    static final List<String> SINGLE_VALUED = List.of("Host", "Authorization", "Content-Type", "Content-Length",
            "Last-Event-ID");

    void install(@Observes Router router) {
        // Right after the failure handler (HttpErrors, Integer.MIN_VALUE) and before Quarkus' own handlers.
        router.route().order(Integer.MIN_VALUE + 2).handler(RepeatedHeaders::refuseRepeated);
    }

    static void refuseRepeated(RoutingContext context) {
        String repeated = firstRepeated(context.request().headers());
        if (repeated == null) {
            context.next();
            return;
        }
        // A body may follow that nobody will read: close once answered, as the body-limit check does.
        context.response().putHeader("Connection", "close");
        HttpErrors.send(context.response(), 400, "bad-request", repeated + " is given "
                + context.request().headers().getAll(repeated).size() + " times; give it once");
    }

    /** The first single-valued header that comes more than once, as this class spells it, or {@code null}. */
    static String firstRepeated(MultiMap headers) {
        for (String name : SINGLE_VALUED) {
            if (headers.getAll(name).size() > 1) {
                return name;
            }
        }
        return null;
    }
}
