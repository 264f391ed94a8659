package dev.moratorium.gateway;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.Jurisdictions;
import dev.moratorium.wire.EventTimes;
import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FeatureProvider;
import dev.openfeature.sdk.ImmutableMetadata;
import dev.openfeature.sdk.Metadata;
import dev.openfeature.sdk.ProviderEvaluation;
import dev.openfeature.sdk.Reason;
import dev.openfeature.sdk.Value;
import java.time.Clock;
import java.time.Instant;

/**
 * An OpenFeature provider answering one boolean flag, {@value #FLAG}: may this caller use this
 * product? The evaluation context carries the caller — attributes {@code vendor}, {@code product},
 * {@code segment} (required), {@code organization}, {@code jurisdiction} and {@code at} (an
 * instant, or an RFC 3339 / {@code YYYY-MM-DD} string; default now) — and the value is
 * {@code allowed} of the decision the client's local view gives. The flag metadata carries the rest
 * of the decision: {@code policyId}, {@code reason}, {@code until}.
 *
 * <pre>{@code
 * OpenFeatureAPI.getInstance().setProviderAndWait(new MoratoriumFeatureProvider(client));
 * boolean allowed = OpenFeatureAPI.getInstance().getClient().getBooleanValue("moratorium.access", false,
 *         new MutableContext().add("vendor", "Amazon").add("product", "Rekognition").add("segment", "police"));
 * }</pre>
 *
 * <p>A missing or invalid attribute answers the caller's default with {@code INVALID_CONTEXT}: a
 * gateway chooses whether to fail open or closed. Any other flag key is {@code FLAG_NOT_FOUND}.
 */
public final class MoratoriumFeatureProvider implements FeatureProvider {

    public static final String FLAG = "moratorium.access";

    private final MoratoriumGatewayClient client;
    private final Clock clock;

    public MoratoriumFeatureProvider(MoratoriumGatewayClient client) {
        this(client, Clock.systemUTC());
    }

    public MoratoriumFeatureProvider(MoratoriumGatewayClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    @Override
    public Metadata getMetadata() {
        return () -> "moratorium";
    }

    @Override
    public ProviderEvaluation<Boolean> getBooleanEvaluation(String key, Boolean defaultValue, EvaluationContext ctx) {
        if (!FLAG.equals(key)) {
            return error(defaultValue, ErrorCode.FLAG_NOT_FOUND, "this provider answers only " + FLAG);
        }
        try {
            String vendor = required(ctx, "vendor");
            String product = required(ctx, "product");
            String segment = required(ctx, "segment");
            String organization = optional(ctx, "organization");
            String jurisdiction = optional(ctx, "jurisdiction");
            if (jurisdiction != null && !Jurisdictions.isValid(jurisdiction)) {
                throw new InvalidContext("jurisdiction \"" + jurisdiction + "\" is not a jurisdiction: "
                        + Jurisdictions.problem(jurisdiction).orElseThrow());
            }
            AccessDecision d = client.decide(vendor, product, segment, organization, jurisdiction, at(ctx));
            ImmutableMetadata.ImmutableMetadataBuilder metadata = ImmutableMetadata.builder().addString("reason", d.reason());
            if (d.policyId() != null) {
                metadata.addString("policyId", d.policyId());
            }
            if (d.until() != null) {
                metadata.addString("until", d.until().toString());
            }
            return ProviderEvaluation.<Boolean>builder().value(d.allowed()).variant(d.allowed() ? "allowed" : "denied")
                    .reason(Reason.TARGETING_MATCH.name()).flagMetadata(metadata.build()).build();
        } catch (InvalidContext e) {
            return error(defaultValue, ErrorCode.INVALID_CONTEXT, e.getMessage());
        }
    }

    @Override
    public ProviderEvaluation<String> getStringEvaluation(String key, String defaultValue, EvaluationContext ctx) {
        return mismatch(key, defaultValue);
    }

    @Override
    public ProviderEvaluation<Integer> getIntegerEvaluation(String key, Integer defaultValue, EvaluationContext ctx) {
        return mismatch(key, defaultValue);
    }

    @Override
    public ProviderEvaluation<Double> getDoubleEvaluation(String key, Double defaultValue, EvaluationContext ctx) {
        return mismatch(key, defaultValue);
    }

    @Override
    public ProviderEvaluation<Value> getObjectEvaluation(String key, Value defaultValue, EvaluationContext ctx) {
        return mismatch(key, defaultValue);
    }

    private static <T> ProviderEvaluation<T> mismatch(String key, T defaultValue) {
        return FLAG.equals(key) ? error(defaultValue, ErrorCode.TYPE_MISMATCH, FLAG + " is a boolean flag")
                : error(defaultValue, ErrorCode.FLAG_NOT_FOUND, "this provider answers only " + FLAG);
    }

    private static <T> ProviderEvaluation<T> error(T defaultValue, ErrorCode code, String message) {
        return ProviderEvaluation.<T>builder().value(defaultValue).reason(Reason.ERROR.name()).errorCode(code)
                .errorMessage(message).build();
    }

    private Instant at(EvaluationContext ctx) {
        Value value = ctx == null ? null : ctx.getValue("at");
        if (value == null || value.isNull()) {
            return clock.instant();
        }
        // read as GET /access reads its "at": all of RFC 3339, to the microsecond, in the years it
        // writes (0000 to 9999), so that the provider and the service refuse the same questions
        Instant at;
        String text;
        if (value.isInstant()) {
            at = value.asInstant();
            text = at.toString();
        } else {
            text = value.asString();
            at = EventTimes.parse(text).orElseThrow(() -> new InvalidContext("at \"" + text
                    + "\" is not an instant, a date (YYYY-MM-DD) or an RFC 3339 timestamp"));
        }
        if (!EventTimes.isWritable(at)) {
            throw new InvalidContext(EventTimes.notWritable("at", text));
        }
        return at;
    }

    private static String required(EvaluationContext ctx, String attribute) {
        String value = optional(ctx, attribute);
        if (value == null) {
            throw new InvalidContext(attribute + " is required in the evaluation context");
        }
        return value;
    }

    private static String optional(EvaluationContext ctx, String attribute) {
        Value value = ctx == null ? null : ctx.getValue(attribute);
        if (value == null || value.isNull() || !value.isString() || value.asString().isBlank()) {
            return null;
        }
        return value.asString().strip();
    }

    private static final class InvalidContext extends RuntimeException {
        InvalidContext(String message) {
            super(message, null, false, false);
        }
    }
}
