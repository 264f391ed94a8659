package dev.moratorium.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.ingest.PolicyChangeIngestor;
import dev.moratorium.ingest.RecordResult;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.testing.Events;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A decision that must read a policy's exemptions from the database (the access index holds the
 * policy without them) holds a connection while it reads: at most {@code STORE_READS} such reads
 * run at once, and one that finds none free within the wait is told 503 busy, while decisions
 * answered from memory go on.
 */
@QuarkusTest
class AccessFromStoreTest {

    private static final String POLICY = "from-store-1";
    private static final String VENDOR = "From Store";
    /** Records made here come from partition -1 at offsets of their own: a kept rejection is known by its place. */
    private static long offset = -7_100_000_000L;

    @Inject
    PolicyChangeIngestor ingestor;

    @Inject
    PolicyIndex index;

    @Test
    void decisionsReadingTheStoreAreBoundedAndTheOthersAreNot() throws Exception {
        List<RawRecord> records = new ArrayList<>();
        records.add(record(Events.event(POLICY + "-announced", "moratorium.announced", "{\"policyId\":\"" + POLICY
                + "\",\"vendor\":\"" + VENDOR + "\",\"product\":\"Vision\",\"segments\":[\"police\"],"
                + "\"effectiveFrom\":\"2021-01-01\",\"effectiveUntil\":\"2031-01-01\"}")));
        for (int g = 0; g < 20; g++) { // 20 x 12 kB of UTF-8: held without its exemptions
            records.add(record(Events.event(POLICY + "-grant-" + g, "moratorium.exemption-granted", "{\"policyId\":\""
                    + POLICY + "\",\"organization\":\"Org-" + g + "\",\"purpose\":\"" + "\u6f22".repeat(3_990) + "\"}")));
        }
        assertThat(ingestor.ingestAll(records)).allMatch(RecordResult.Applied.class::isInstance);
        index.refresh();
        assertThat(index.heldWithoutExemptions(POLICY)).isTrue();

        // at an instant after the grants (made now) and before the policy's end
        String named = "/access?vendor=" + VENDOR + "&product=Vision&segment=police&organization=Org-4&at=2030-01-01";
        String unnamed = "/access?vendor=" + VENDOR + "&product=Vision&segment=police&at=2030-01-01";
        String notInForce = named.replace("2030-01-01", "2020-01-01");
        for (int i = 0; i < 4; i++) {
            AccessResource.STORE_READS.take();
        }
        try {
            given().get(named).then().statusCode(503).header("Retry-After", "2").body("error", equalTo("busy"));
            given().get(unnamed).then().statusCode(200).body("allowed", equalTo(false));
            given().get(notInForce).then().statusCode(200).body("allowed", equalTo(true))
                    .body("reason", containsString("starts on"));
        } finally {
            for (int i = 0; i < 4; i++) {
                AccessResource.STORE_READS.giveBack();
            }
        }
        given().get(named).then().statusCode(200).body("allowed", equalTo(true)).body("reason", containsString("Org-4"));
        assertThat(AccessResource.STORE_READS.free()).as("every turn given back").isEqualTo(4);
    }

    /**
     * A policy held whole with many exemptions is also held by organization, and a decision naming
     * one reads that organization's only (PolicyCatalog): through the HTTP answer, the exempt caller
     * is found as it is written or folded, another is not, and a revocation is seen at the next
     * refresh, never hidden by the index made of the policy before it.
     */
    @Test
    void aPolicyOfManyExemptionsDecidesByTheOrganizationNamed() throws Exception {
        String policy = "by-organization-1";
        List<RawRecord> records = new ArrayList<>();
        records.add(record(policy, Events.event(policy + "-announced", "moratorium.announced", "{\"policyId\":\"" + policy
                + "\",\"vendor\":\"" + VENDOR + "\",\"product\":\"Lens\",\"segments\":[\"police\"],"
                + "\"effectiveFrom\":\"2021-01-01\",\"effectiveUntil\":\"2031-01-01\"}")));
        for (int g = 0; g < 40; g++) {
            records.add(record(policy, Events.event(policy + "-grant-" + g, "moratorium.exemption-granted",
                    "{\"policyId\":\"" + policy + "\",\"organization\":\"\u00c9cole-" + g + "\",\"purpose\":\"p" + g + "\"}")));
        }
        assertThat(ingestor.ingestAll(records)).allMatch(RecordResult.Applied.class::isInstance);
        index.refresh();
        assertThat(index.heldWithoutExemptions(policy)).isFalse();

        String base = "/access?vendor=" + VENDOR + "&product=Lens&segment=police&at=2030-01-01&organization=";
        given().get(base + "\u00c9cole-7").then().statusCode(200).body("allowed", equalTo(true))
                .body("reason", containsString("\u00c9cole-7 is exempt")).body("reason", containsString("(p7)"));
        given().get(base + "\u00e9COLE-7").then().statusCode(200).body("allowed", equalTo(true));
        given().get(base + "Ecole-7").then().statusCode(200).body("allowed", equalTo(false));
        given().get(base + "Nobody").then().statusCode(200).body("allowed", equalTo(false));

        assertThat(ingestor.ingestAll(List.of(record(policy, Events.event(policy + "-revoke-7", "moratorium.exemption-revoked",
                "{\"policyId\":\"" + policy + "\",\"organization\":\"\u00e9cole-7\"}")))))
                .allMatch(RecordResult.Applied.class::isInstance);
        index.refresh();
        given().get(base + "\u00c9cole-7").then().statusCode(200).body("allowed", equalTo(false));
        given().get(base + "\u00c9cole-8").then().statusCode(200).body("allowed", equalTo(true));
    }

    private static RawRecord record(String cloudEvent) {
        return record(POLICY, cloudEvent);
    }

    private static RawRecord record(String key, String cloudEvent) {
        return new RawRecord("policy-changes", -1, --offset, key.getBytes(StandardCharsets.UTF_8),
                cloudEvent.getBytes(StandardCharsets.UTF_8),
                List.of(new RawHeader("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8))),
                Instant.now());
    }
}
