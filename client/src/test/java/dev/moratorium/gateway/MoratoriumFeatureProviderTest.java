package dev.moratorium.gateway;

import static dev.moratorium.gateway.StateRecordsTest.AMAZON;
import static dev.moratorium.gateway.StateRecordsTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.MutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The flag moratorium.access through the OpenFeature API, as a gateway would ask it. */
class MoratoriumFeatureProviderTest {

    private static Client flags;

    @BeforeAll
    static void provider() {
        Clock clock = Clock.fixed(Instant.parse("2020-12-01T00:00:00Z"), ZoneOffset.UTC);
        MoratoriumGatewayClient client = MoratoriumGatewayClient.offline(clock);
        client.apply("amazon-rekognition-police-2020", bytes(AMAZON));
        OpenFeatureAPI.getInstance().setProviderAndWait("moratorium-test", new MoratoriumFeatureProvider(client, clock));
        flags = OpenFeatureAPI.getInstance().getClient("moratorium-test");
    }

    @AfterAll
    static void shutdown() {
        OpenFeatureAPI.getInstance().shutdown();
    }

    private static MutableContext caller(String segment) {
        return new MutableContext().add("vendor", "Amazon").add("product", "Rekognition").add("segment", segment);
    }

    @Test
    void answersTheAccessDecision() {
        FlagEvaluationDetails<Boolean> police = flags.getBooleanDetails("moratorium.access", true, caller("police"));
        assertThat(police.getValue()).isFalse();
        assertThat(police.getVariant()).isEqualTo("denied");
        assertThat(police.getErrorCode()).isNull();
        assertThat(police.getFlagMetadata().getString("policyId")).isEqualTo("amazon-rekognition-police-2020");
        assertThat(police.getFlagMetadata().getString("until")).isEqualTo("2021-06-10T00:00:00Z");
        assertThat(flags.getBooleanValue("moratorium.access", false, caller("police").add("organization", "Thorn")))
                .isTrue();
        assertThat(flags.getBooleanValue("moratorium.access", false, caller("police").add("jurisdiction", "GB")))
                .isTrue();
        assertThat(flags.getBooleanValue("moratorium.access", false, caller("police").add("jurisdiction", "US-CA")))
                .isFalse();
        assertThat(flags.getBooleanValue("moratorium.access", false, caller("police").add("at", "2021-06-10")))
                .isTrue();
        assertThat(flags.getBooleanValue("moratorium.access", false,
                caller("police").add("at", Instant.parse("2021-06-09T23:59:59Z")))).isFalse();
        // "at" is read as GET /access reads it: all of RFC 3339 (an offset of -23:59 is 2021-06-10T23:59Z,
        // after the end; a leap second at the end of 2021-06-09 UTC is before it), to the microsecond
        assertThat(flags.getBooleanDetails("moratorium.access", false, caller("police").add("at",
                "2021-06-10T00:00:00-23:59")).getValue()).isTrue();
        assertThat(flags.getBooleanDetails("moratorium.access", true, caller("police").add("at",
                "2021-06-10T05:29:60.9999999+05:30")).getValue()).isFalse();
        assertThat(flags.getBooleanValue("moratorium.access", false, caller("retail"))).isTrue();
    }

    @Test
    void aBadContextOrAnotherFlagAnswersTheDefault() {
        FlagEvaluationDetails<Boolean> noSegment = flags.getBooleanDetails("moratorium.access", false,
                new MutableContext().add("vendor", "Amazon").add("product", "Rekognition"));
        assertThat(noSegment.getValue()).isFalse();
        assertThat(noSegment.getErrorCode()).isEqualTo(ErrorCode.INVALID_CONTEXT);
        assertThat(flags.getBooleanDetails("moratorium.access", true, caller("police").add("jurisdiction", "XX"))
                .getErrorCode()).isEqualTo(ErrorCode.INVALID_CONTEXT);
        assertThat(flags.getBooleanDetails("moratorium.access", true, caller("police").add("at", "soon"))
                .getErrorCode()).isEqualTo(ErrorCode.INVALID_CONTEXT);
        // outside the years RFC 3339 writes, as GET /access answers 400 for them: as text, and as an instant
        for (Object outside : new Object[] {"+10000-01-01T00:00:00Z", "0000-01-01T00:00:00+01:00",
                Instant.parse("-0001-12-31T23:59:59Z"), Instant.parse("+10000-01-01T00:00:00Z")}) {
            MutableContext ctx = outside instanceof Instant instant ? caller("police").add("at", instant)
                    : caller("police").add("at", (String) outside);
            FlagEvaluationDetails<Boolean> details = flags.getBooleanDetails("moratorium.access", true, ctx);
            assertThat(details.getErrorCode()).as(outside + ": " + details.getErrorMessage()).isEqualTo(ErrorCode.INVALID_CONTEXT);
            assertThat(details.getErrorMessage()).endsWith("is outside the years RFC 3339 writes, 0000 to 9999");
            assertThat(details.getValue()).isTrue();
        }
        // the calendar's edges themselves are questions GET /access answers
        assertThat(flags.getBooleanDetails("moratorium.access", true, caller("police").add("at", "0000-01-01"))
                .getErrorCode()).isNull();
        assertThat(flags.getBooleanDetails("moratorium.access", true, caller("police").add("at",
                Instant.parse("9999-12-31T23:59:59.999999Z"))).getErrorCode()).isNull();
        assertThat(flags.getBooleanDetails("other.flag", true, caller("police")).getErrorCode())
                .isEqualTo(ErrorCode.FLAG_NOT_FOUND);
        assertThat(flags.getStringDetails("moratorium.access", "x", caller("police")).getErrorCode())
                .isEqualTo(ErrorCode.TYPE_MISMATCH);
    }
}
