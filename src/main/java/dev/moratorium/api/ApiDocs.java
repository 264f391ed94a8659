package dev.moratorium.api;

import dev.moratorium.wire.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * The error answers every operation can give, added to each one in the served document rather than
 * written on every method: 401 and 403 (writes need {@code moratorium-admin}; reads need a role when
 * {@code moratorium.security.restrict-reads} is on), 413 for a body past the limit, 400 for a
 * single-valued header given twice ({@code security.RepeatedHeaders}), for a query parameter the
 * operation does not take and, where there is a query, for one given twice ({@link QueryParameters}), 503 {@code busy} on the reads
 * {@link AnswersInFlight} counts, and 500 — all with
 * the JSON error body, and writes marked with the bearer scheme. It also adds
 * the request the service makes to webhook subscribers ({@link WebhookDocs}).
 */
public class ApiDocs implements OASFilter {

    private static final Map<String, String> COMMON = Map.of(
            "401", "No valid bearer token, where one is needed",
            "403", "The token's roles do not allow this request",
            "500", "The service could not answer; the error is in its log");

    private static final String REPEATED_HEADER =
            "a header HTTP allows once (Authorization, Content-Type, Host, Last-Event-ID) given twice (bad-request)";
    private static final String REPEATED_PARAMETER = "a query parameter given more than once (invalid-parameter)";
    private static final String UNKNOWN_PARAMETER = "a query parameter this operation does not take (invalid-parameter)";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        WebhookDocs.addTo(openAPI);
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
            if (path.getKey().startsWith("/q/")) {
                continue;
            }
            Map<PathItem.HttpMethod, Operation> operations = path.getValue().getOperations();
            if (operations == null) {
                continue;
            }
            operations.forEach((method, operation) -> document(path.getKey(), method, operation));
        }
    }

    private static void document(String path, PathItem.HttpMethod method, Operation operation) {
        APIResponses responses = operation.getResponses();
        if (responses == null) {
            responses = OASFactory.createAPIResponses();
            operation.setResponses(responses);
        }
        for (Map.Entry<String, String> common : COMMON.entrySet()) {
            APIResponse existing = responses.getAPIResponse(common.getKey());
            if (existing == null) {
                responses.addAPIResponse(common.getKey(), error(common.getValue()));
            } else if (existing.getContent() == null) { // @RolesAllowed declares 401/403 without their JSON body
                existing.setContent(error(common.getValue()).getContent());
            }
        }
        // security.RepeatedHeaders on every operation; QueryParameters' unknown names on every one, its
        // repeated names where there is a query parameter to repeat
        // (the ping, the decisions benchmark's baseline, carries QueryParameters.ANY_QUERY: it refuses none)
        List<String> causes = new ArrayList<>();
        if (operation.getExtensions() == null || !operation.getExtensions().containsKey(QueryParameters.ANY_QUERY)) {
            causes.add(UNKNOWN_PARAMETER);
        }
        if (operation.getParameters() != null
                && operation.getParameters().stream().anyMatch(p -> p.getIn() == Parameter.In.QUERY)) {
            causes.add(REPEATED_PARAMETER);
        }
        causes.add(REPEATED_HEADER);
        String repeated = causes.size() == 1 ? causes.get(0)
                : String.join(", ", causes.subList(0, causes.size() - 1)) + ", or " + causes.get(causes.size() - 1);
        APIResponse badRequest = responses.getAPIResponse("400");
        if (badRequest == null) {
            responses.addAPIResponse("400", error(Character.toUpperCase(repeated.charAt(0)) + repeated.substring(1)));
        } else {
            badRequest.setDescription(badRequest.getDescription() + "; or " + repeated);
        }
        if (AnswersInFlight.counts(method.name(), path) && responses.getAPIResponse("503") == null) {
            responses.addAPIResponse("503", error(AnswersInFlight.BUSY + " (busy, with Retry-After)"));
        }
        if (method != PathItem.HttpMethod.GET && method != PathItem.HttpMethod.HEAD) {
            if (responses.getAPIResponse("413") == null) {
                responses.addAPIResponse("413", error("The request body is larger than the service accepts"));
            }
            if (operation.getSecurity() == null || operation.getSecurity().isEmpty()) {
                operation.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme("bearer"));
            }
        }
    }

    private static APIResponse error(String description) {
        MediaType json = OASFactory.createMediaType()
                .schema(OASFactory.createSchema().ref("#/components/schemas/ApiError"));
        Content content = OASFactory.createContent().addMediaType("application/json", json);
        return OASFactory.createAPIResponse().description(description).content(content);
    }
}
