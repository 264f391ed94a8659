package dev.moratorium.api;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * The request the service makes to webhook subscribers, as the document's {@code webhooks} entry
 * (OpenAPI 3.1): what a receiver must accept. The body's schema is built from the notification's
 * own ({@link NotificationView}, without the API's {@code sequence} cursor), so the two cannot
 * drift apart; docs/webhooks.md and asyncapi.yaml describe the same request.
 */
final class WebhookDocs {

    static final String WEBHOOK = "notification";
    static final String BODY = "WebhookNotification";
    /** {@link NotificationView}'s name in the document. */
    private static final String VIEW = "Notification";

    private WebhookDocs() {
    }

    static void addTo(OpenAPI openAPI) {
        Schema view = openAPI.getComponents() == null || openAPI.getComponents().getSchemas() == null ? null
                : openAPI.getComponents().getSchemas().get(VIEW);
        // Filters may run more than once; a document without the notification's schema (none is
        // served) is left alone. OpenApiValidationTest checks the served document has the entry.
        if (view == null || view.getProperties() == null
                || (openAPI.getWebhooks() != null && openAPI.getWebhooks().containsKey(WEBHOOK))) {
            return;
        }
        Schema body = OASFactory.createSchema().addType(Schema.SchemaType.OBJECT).description(
                "Exactly the notification's data as on moratorium-notifications (GET /notifications without"
                        + " `sequence`); verify the signature over these bytes as received, before parsing.");
        view.getProperties().forEach((name, property) -> {
            if (!name.equals("sequence")) {
                body.addProperty(name, property);
            }
        });
        if (view.getRequired() != null) {
            view.getRequired().stream().filter(r -> !r.equals("sequence")).forEach(body::addRequired);
        }
        openAPI.getComponents().addSchema(BODY, body);

        Operation post = OASFactory.createOperation()
                .operationId("receiveNotification")
                .summary("A notification, POSTed to a subscription's url (Standard Webhooks)")
                .description("Sent for every notification that matches the subscription's filters, one at a time per"
                        + " subscription in notification sequence order (so each policy's in its order), at least"
                        + " once: the same webhook-id on every retry, replay and resend after a crash; drop one"
                        + " you have seen. Subscribe with POST /subscriptions; docs/webhooks.md has the details.")
                .addParameter(header("webhook-id", "The notificationId: the de-duplication key", OASFactory
                        .createSchema().addType(Schema.SchemaType.STRING).format("uuid")))
                .addParameter(header("webhook-timestamp", "Unix seconds when this attempt was signed", OASFactory
                        .createSchema().addType(Schema.SchemaType.STRING).pattern("^[0-9]+$")))
                .addParameter(header("webhook-signature", "`v1,` and the base64 HMAC-SHA256 of"
                        + " `webhook-id.webhook-timestamp.body`, keyed with the bytes the secret's base64 (after"
                        + " `whsec_`) decodes to; after a secret rotation, for 24 h, two such signatures separated by"
                        + " a space (new, then old): accept if any matches", OASFactory.createSchema()
                                .addType(Schema.SchemaType.STRING).pattern("^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$")))
                .requestBody(OASFactory.createRequestBody().required(true).content(OASFactory.createContent()
                        .addMediaType("application/json", OASFactory.createMediaType()
                                .schema(OASFactory.createSchema().ref("#/components/schemas/" + BODY)))))
                .responses(responses());
        openAPI.addWebhook(WEBHOOK, OASFactory.createPathItem().POST(post));
    }

    private static Parameter header(String name, String description, Schema schema) {
        return OASFactory.createParameter().name(name).in(Parameter.In.HEADER).required(true).description(description)
                .schema(schema);
    }

    /** What each answer makes the service do (the retry policy). */
    private static APIResponses responses() {
        return OASFactory.createAPIResponses()
                .addAPIResponse("2XX", response("Delivered: the subscription's cursor moves past it and the next one"
                        + " follows"))
                .addAPIResponse("410", response("Gone: the subscription is disabled at once"))
                .addAPIResponse("429", response("Retried after Retry-After (seconds or an HTTP date; at most 10 min),"
                        + " as is a 503"))
                .addAPIResponse("default", response("Any other answer, a 3xx (never followed), a timeout (10 s) or a"
                        + " refused connection: retried with exponential backoff (1 s doubling to 10 min, jittered);"
                        + " after 24 h of failures the subscription is FAILING and parks until resumed"));
    }

    private static APIResponse response(String description) {
        return OASFactory.createAPIResponse().description(description);
    }
}
