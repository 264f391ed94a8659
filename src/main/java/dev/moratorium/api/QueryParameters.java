package dev.moratorium.api;

import dev.moratorium.wire.Sanitize;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ResourceInfo;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.openapi.annotations.extensions.Extension;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The two rules every query meets, in one pass over its parameters, on every endpoint; each breach is
 * 400 {@code invalid-parameter}.
 * <ul>
 * <li>A parameter the endpoint does not take is refused, naming the ones it takes. Ignored, a
 * misspelt parameter changes the question without a word: {@code /access?...&asof=2020-06-11} (the
 * name is {@code asOf}) answered with everything known now, and {@code organisation=Thorn} answered
 * for a caller with no organization — a compliance check of what was in force on a day, or an
 * exempt caller refused, with nothing to show why.
 * <li>A parameter given more than once is refused. No endpoint takes a list in its query, and
 * JAX-RS reads the first of the values while a proxy, a log or a rule in front of the service may
 * read the last: {@code /access?organization=Thorn&organization=Acme} would be one caller asking as
 * two, and the answer would depend on who read which.
 * </ul>
 */
public class QueryParameters {

    /**
     * The OpenAPI extension that exempts an operation: only {@code GET /ops/ping}, the decisions
     * benchmark's baseline, which is sent the very requests {@code /access} is, query strings and all.
     * An extension rather than an annotation of our own, so that the served document says it too
     * ({@link ApiDocs} reads it there).
     */
    public static final String ANY_QUERY = "x-accepts-any-query";

    /** Any name: what an operation with {@link #ANY_QUERY} takes, and a request matched to no method. */
    private static final Set<String> ANY = Collections.unmodifiableSet(new LinkedHashSet<>());

    /**
     * The names each resource method declares with {@code @QueryParam}, read once per method. Keyed by
     * the {@code Method}, which compares by value: RESTEasy Reactive makes a new
     * {@code SimpleResourceInfo} for every request, so a map keyed by those would gain an entry each time.
     */
    private final Map<Method, Set<String>> taken = new ConcurrentHashMap<>();

    @ServerRequestFilter
    public void check(HttpServerRequest request, ResourceInfo resource) {
        String query = request.query();
        if (query == null || query.isEmpty()) {
            return;
        }
        Set<String> names = resource == null || resource.getResourceMethod() == null ? ANY
                : taken.computeIfAbsent(resource.getResourceMethod(), QueryParameters::queryParameters);
        // one parameter cannot repeat: the common single-parameter request keeps no set of names
        Set<String> seen = query.indexOf('&') < 0 && query.indexOf(';') < 0 ? null : new HashSet<>();
        MultiMap params = request.params();
        for (Map.Entry<String, String> p : params) {
            String name = p.getKey();
            if (names != ANY && !names.contains(name)) {
                throw ApiException.badRequest("invalid-parameter", unknown(name, names));
            }
            if (seen != null && !seen.add(name)) {
                throw ApiException.badRequest("invalid-parameter", Sanitize.forMessage(name) + " is given "
                        + params.getAll(name).size() + " times; give it once");
            }
        }
    }

    static String unknown(String name, Set<String> names) {
        String sentence = "unknown parameter \"" + Sanitize.forMessage(name) + "\"; ";
        if (names.isEmpty()) {
            return sentence + "this endpoint takes none";
        }
        // names compare exactly, as JAX-RS reads them: say so when only the case is wrong
        String sameButCase = names.stream().filter(n -> n.equalsIgnoreCase(name)).findFirst().orElse(null);
        return sentence + (sameButCase != null ? "did you mean \"" + sameButCase + "\"? " : "")
                + "this endpoint takes " + String.join(", ", names);
    }

    /**
     * The names a resource method takes: its {@code @QueryParam}s, the only way the resources here
     * read a query (none uses {@code @RestQuery}, {@code @BeanParam} or the query's map; a new one
     * that did would be answered 400 by its first test).
     */
    static Set<String> queryParameters(Method method) {
        for (Extension extension : method.getAnnotationsByType(Extension.class)) {
            if (ANY_QUERY.equals(extension.name())) {
                return ANY;
            }
        }
        Set<String> names = new LinkedHashSet<>();
        for (Annotation[] annotations : method.getParameterAnnotations()) {
            for (Annotation annotation : annotations) {
                if (annotation instanceof QueryParam q) {
                    names.add(q.value());
                }
            }
        }
        return Collections.unmodifiableSet(names);
    }
}
