package dev.moratorium.api;

import dev.moratorium.wire.Sanitize;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ResourceInfo;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.openapi.annotations.extensions.Extension;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A query parameter the endpoint does not take is refused (400 {@code invalid-parameter}, naming
 * the ones it takes), on every endpoint. Ignored, a misspelt parameter changes the question without
 * a word: {@code /access?...&asof=2020-06-11} (the name is {@code asOf}) answered with everything
 * known now, and {@code organisation=Thorn} answered for a caller with no organization — a compliance
 * check of what was in force on a day, or an exempt caller refused, with nothing to show why.
 */
public class UnknownParameters {

    /**
     * The OpenAPI extension that exempts an operation: only {@code GET /ops/ping}, the decisions
     * benchmark's baseline, which is sent the very requests {@code /access} is, query strings and all.
     * An extension rather than an annotation of our own, so that the served document says it too
     * ({@link ApiDocs} reads it there).
     */
    public static final String ANY_QUERY = "x-accepts-any-query";

    /** What an operation with {@link #ANY_QUERY} takes. */
    private static final Set<String> ANY = Collections.unmodifiableSet(new LinkedHashSet<>());

    /**
     * The names each resource method declares with {@code @QueryParam}, read once per method. Keyed by
     * the {@code Method}, which compares by value: RESTEasy Reactive makes a new
     * {@code SimpleResourceInfo} for every request, so a map keyed by those would gain an entry each time.
     */
    private final Map<Method, Set<String>> taken = new ConcurrentHashMap<>();

    @ServerRequestFilter
    public void refuseUnknown(HttpServerRequest request, ResourceInfo resource) {
        String query = request.query();
        if (query == null || query.isEmpty() || resource == null || resource.getResourceMethod() == null) {
            return;
        }
        Set<String> names = taken.computeIfAbsent(resource.getResourceMethod(), UnknownParameters::queryParameters);
        if (names == ANY) {
            return;
        }
        for (String name : request.params().names()) {
            if (!names.contains(name)) {
                throw ApiException.badRequest("invalid-parameter", unknown(name, names));
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
