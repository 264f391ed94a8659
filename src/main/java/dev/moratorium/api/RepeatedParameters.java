package dev.moratorium.api;

import dev.moratorium.wire.Sanitize;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A query parameter given more than once is refused (400 {@code invalid-parameter}) on every
 * endpoint. No endpoint takes a list in its query, and JAX-RS reads the first of the values while
 * a proxy, a log or a rule in front of the service may read the last:
 * {@code /access?organization=Thorn&organization=Acme} would be one caller asking as two, and the
 * answer would depend on who read which.
 */
public class RepeatedParameters {

    @ServerRequestFilter
    public void refuseRepeated(HttpServerRequest request) {
        String query = request.query();
        if (query == null || query.indexOf('&') < 0 && query.indexOf(';') < 0) {
            return; // at most one parameter: the common single-parameter request parses nothing here
        }
        MultiMap params = request.params();
        String repeated = firstRepeated(params);
        if (repeated != null) {
            throw ApiException.badRequest("invalid-parameter", Sanitize.forMessage(repeated) + " is given "
                    + params.getAll(repeated).size() + " times; give it once");
        }
    }

    /** The first name that comes twice, or {@code null}. */
    static String firstRepeated(Iterable<Map.Entry<String, String>> params) {
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, String> p : params) {
            if (!seen.add(p.getKey())) {
                return p.getKey();
            }
        }
        return null;
    }
}
