package dev.moratorium.security;

import dev.moratorium.config.MoratoriumConfig;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Applies {@link CallerPermissions} to every HTTP request, before any endpoint or static file is reached
 * ({@code quarkus.http.auth.permission.moratorium.paths=/*} in application.properties). A denied
 * anonymous caller gets 401, a denied authenticated one 403; both as JSON (see
 * {@link JsonBearerChallenge} and {@code api.HttpErrors}).
 */
@ApplicationScoped
public class CallerPermissionCheck implements HttpSecurityPolicy {

    @Inject
    MoratoriumConfig config;

    @Override
    public Uni<CheckResult> checkPermission(RoutingContext request, Uni<SecurityIdentity> identity,
            AuthorizationRequestContext context) {
        String method = request.request().method().name();
        String path = request.normalizedPath();
        return identity.map(id -> CallerPermissions.permits(method, path, id.getRoles(), config.security().restrictReads())
                ? CheckResult.PERMIT
                : CheckResult.DENY);
    }

    @Override
    public String name() {
        return "moratorium";
    }
}
