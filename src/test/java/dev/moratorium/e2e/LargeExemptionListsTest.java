package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.ingest.PolicyChangeIngestor;
import dev.moratorium.ingest.RecordResult;
import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.AccessRules;
import dev.moratorium.policy.Policy;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.store.PolicyReads;
import dev.moratorium.store.PolicyStore;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.Sql;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A policy may keep 1,000 exemptions and 512 Ki UTF-16 units of organizations and purposes, granted
 * and revoked: a megabyte of heap in a script outside Latin-1. Within those limits, 200 such
 * policies made the packaged service (the pod's 160 MB heap) die at every start, loading them into
 * the access index; and one poll of 200 revocations, one per policy, made it die loading them for
 * the writer, and again on the redelivered poll at each restart. Now the index holds such a policy
 * without its exemptions and reads an organization's when a decision names it, and a transaction
 * counts the exemptions it loaded against its budget and loads past half of it only one policy at
 * a time, as its decisions need them.
 */
@QuarkusTest
class LargeExemptionListsTest {

    /** 4,000 characters of a three-byte script, the longest purpose. */
    private static final String PURPOSE = "\u6f22".repeat(4_000);
    private static final String VENDOR = "Large Lists";

    @Inject
    DataSource dataSource;

    @Inject
    PolicyChangeIngestor ingestor;

    @Inject
    PolicyIndex index;

    @Inject
    PolicyStore store;

    /** Records made here come from partition -1 at offsets of their own: a kept rejection is known by its place. */
    private static long offset = -7_000_000_000L;

    @Test
    void aPolicyWhoseExemptionsTheIndexDoesNotHoldIsDecidedAsIfItHeldThem() {
        String heavy = "lists-heavy";
        String light = "lists-light";
        List<RawRecord> records = new ArrayList<>();
        records.add(announce("lists-heavy-announced", heavy, "Vision", "police"));
        for (int g = 0; g < 20; g++) { // 20 x 12 kB of UTF-8: past the 64 KiB a policy may keep in the index
            records.add(grant("lists-heavy-grant-" + g, heavy, "Org-" + g, g + ": " + PURPOSE.substring(10)));
        }
        records.add(revoke("lists-heavy-revoke-3", heavy, "Org-3"));
        records.add(grant("lists-heavy-grant-izmir", heavy, "\u0130zmir Emniyet", "a dotted capital I"));
        records.add(announce("lists-light-announced", light, "Vision", "marketing"));
        records.add(grant("lists-light-grant", light, "Org-1", "a short purpose"));
        assertThat(ingestor.ingestAll(records)).allMatch(RecordResult.Applied.class::isInstance);
        index.refresh();

        assertThat(index.heldWithoutExemptions(heavy)).isTrue();
        assertThat(index.heldWithoutExemptions(light)).isFalse();
        List<Policy> held = index.policiesFor(VENDOR, "Vision");
        assertThat(held).hasSize(2);
        assertThat(held.stream().filter(p -> p.policyId().equals(heavy)).findFirst().orElseThrow().exemptions()).isEmpty();
        assertThat(index.holdsExemptionsOf(held, p -> true)).isFalse();
        assertThat(index.holdsExemptionsOf(held, p -> false)).isTrue();
        assertThat(given().get("/q/health/ready").then().extract().jsonPath()
                .getInt("checks.find { it.name == 'Access index' }.data.withoutExemptions"))
                .as("what operators see").isPositive();

        // what the answers must be: the domain's decision over the policies read whole from the store
        List<Policy> whole = QuarkusTransaction.requiringNew().call(() -> List.copyOf(store.load(List.of(heavy, light)).values()));
        assertThat(whole.stream().mapToInt(p -> p.exemptions().size()).sum()).isEqualTo(22);
        List<String> organizations = Arrays.asList("Org-1", "org-1", "\uff2f\uff52\uff47-1" /* full-width */,
                "Org-1\u200b" /* a zero-width space */, "\u0130zmir Emniyet", "\u0130ZM\u0130R EMN\u0130YET",
                "i\u0307zmir emniyet" /* i and a combining dot */, "IZMIR EMNIYET", "izmir emniyet", "Org-3" /* revoked */, "Org-19", "Org-20" /* never granted */,
                null);
        List<String> instants = List.of("2020-01-01", "2026-12-31T23:59:59Z", "9999-12-31T23:59:59Z");
        for (String segment : List.of("police", "marketing")) {
            for (String organization : organizations) {
                for (String at : instants) {
                    AccessDecision expected = AccessRules.decide(whole, segment, organization, null,
                            Instant.parse(at.length() == 10 ? at + "T00:00:00Z" : at));
                    var request = given().queryParam("vendor", VENDOR).queryParam("product", "Vision")
                            .queryParam("segment", segment).queryParam("at", at);
                    if (organization != null) {
                        request.queryParam("organization", organization);
                    }
                    var answer = request.get("/access").then().statusCode(200).extract().jsonPath();
                    String what = segment + " " + organization + " at " + at;
                    assertThat(answer.getBoolean("allowed")).as(what).isEqualTo(expected.allowed());
                    assertThat(answer.getString("policyId")).as(what).isEqualTo(expected.policyId());
                    assertThat(answer.getString("reason")).as(what).isEqualTo(expected.reason());
                    assertThat(answer.getString("until")).as(what)
                            .isEqualTo(expected.until() == null ? null : expected.until().toString());
                }
            }
        }
        // a NUL in the name is refused before any look-up, the store's too
        given().queryParam("vendor", VENDOR).queryParam("product", "Vision").queryParam("segment", "police")
                .queryParam("organization", "Org-1\u0000").get("/access").then().statusCode(400);
        // spot checks that the comparison above compares something
        given().queryParam("vendor", VENDOR).queryParam("product", "Vision").queryParam("segment", "police")
                .queryParam("organization", "\uff2f\uff52\uff47-7").get("/access").then().statusCode(200)
                .body("allowed", org.hamcrest.Matchers.is(true))
                .body("reason", org.hamcrest.Matchers.containsString("7: " + PURPOSE.substring(10)));
        var explained = given().queryParam("vendor", VENDOR).queryParam("product", "Vision").queryParam("segment", "police")
                .queryParam("organization", "org-3").queryParam("explain", "true").get("/access").then().statusCode(200)
                .extract().jsonPath();
        assertThat(explained.getBoolean("allowed")).isFalse();
        assertThat(explained.getString("explanation.policies.find { it.policyId == 'lists-heavy' }.exemption.organization"))
                .as("the revoked exemption, read from the store").isEqualTo("Org-3");
        assertThat(explained.getString("explanation.policies.find { it.policyId == 'lists-heavy' }.exemption.why"))
                .contains("was revoked on");
    }

    @Test
    void aPollNamingManyPoliciesWithLongExemptionListsIsDecidedInTransactionsOfBoundedSize() throws Exception {
        int policies = 36; // each keeps about 485 kB of exemptions: together more than a transaction's 16 MB
        List<RawRecord> setup = new ArrayList<>();
        for (int p = 0; p < policies; p++) {
            String id = "lists-kept-" + p;
            setup.add(announce(id + "-announced", id, "Kept", "police"));
            for (int g = 1; g <= 40; g++) { // granted and revoked at once: kept, but not in force
                setup.add(grant(id + "-grant-" + g, id, "Org-" + g, PURPOSE));
                setup.add(revoke(id + "-revoke-" + g, id, "Org-" + g));
            }
            setup.add(grant(id + "-grant-0", id, "Org-0", "in force"));
        }
        assertThat(ingestor.ingestAll(setup)).hasSize(setup.size()).allMatch(RecordResult.Applied.class::isInstance);
        long kept = QuarkusTransaction.requiringNew().call(() -> store.load(List.of("lists-kept-0")).values().stream()
                .mapToLong(PolicyReads::exemptionBytes).sum());
        assertThat(kept * policies).as("the exemptions the poll names").isGreaterThan(16_000_000);

        // one poll: a small revocation on each, whose notifications and state records are small
        List<RawRecord> poll = new ArrayList<>();
        for (int p = 0; p < policies; p++) {
            poll.add(revoke("lists-kept-" + p + "-revoke-0", "lists-kept-" + p, "Org-0"));
        }
        List<RecordResult> first = ingestor.ingest(poll);
        assertThat(first).as("decided in the first transaction, before its loaded policies filled it")
                .hasSizeBetween(1, policies - 1).allMatch(RecordResult.Applied.class::isInstance);
        List<RecordResult> rest = ingestor.ingestAll(poll.subList(first.size(), poll.size()));
        assertThat(rest).hasSize(policies - first.size()).allMatch(RecordResult.Applied.class::isInstance);
        assertThat(Sql.count(dataSource, "SELECT count(*) FROM exemption WHERE policy_id LIKE 'lists-kept-%'"
                + " AND revoked_at IS NULL")).as("every revocation applied").isZero();
        assertThat(Sql.count(dataSource, "SELECT count(*) FROM policy_event WHERE event_id LIKE 'lists-kept-%-revoke-0'"))
                .as("each once").isEqualTo(policies);
        assertThat(ingestor.ingestAll(poll)).as("read again: nothing doubled")
                .allMatch(RecordResult.Duplicate.class::isInstance);
    }

    @Test
    void aLoadWithinABudgetReadsTheFirstPolicyWholeAndLeavesTheRestForLater() {
        List<RawRecord> setup = new ArrayList<>();
        for (String id : List.of("lists-load-a", "lists-load-b", "lists-load-c")) {
            setup.add(announce(id + "-announced", id, "Load", "police"));
            setup.add(grant(id + "-grant", id, "Org-1", PURPOSE));
        }
        setup.add(announce("lists-load-d-announced", "lists-load-d", "Load", "police")); // no exemptions
        assertThat(ingestor.ingestAll(setup)).allMatch(RecordResult.Applied.class::isInstance);
        List<String> ids = List.of("lists-load-c", "lists-load-a", "lists-load-none", "lists-load-d", "lists-load-b");

        PolicyStore.Loaded all = QuarkusTransaction.requiringNew().call(() -> store.loadWithin(ids, Long.MAX_VALUE));
        assertThat(all.policies().keySet()).containsExactlyInAnyOrder("lists-load-a", "lists-load-b", "lists-load-c",
                "lists-load-d");
        assertThat(all.deferred()).isEmpty();
        assertThat(all.policies().get("lists-load-a").exemptions()).hasSize(1);

        PolicyStore.Loaded one = QuarkusTransaction.requiringNew().call(() -> store.loadWithin(ids, 0));
        assertThat(one.policies().keySet()).as("the first in the store's order, whole").containsExactly("lists-load-a");
        assertThat(one.policies().get("lists-load-a").exemptions().get(0).purpose()).isEqualTo(PURPOSE);
        assertThat(one.deferred()).as("the rest, a policy without exemptions too: the stop cannot tell it apart")
                .containsExactlyInAnyOrder("lists-load-b", "lists-load-c", "lists-load-d");
        Map<String, Policy> wholeAgain = QuarkusTransaction.requiringNew().call(() -> store.load(ids));
        assertThat(wholeAgain.values().stream().map(Policy::policyId).collect(Collectors.toSet()))
                .isEqualTo(all.policies().keySet());
    }

    private RawRecord announce(String eventId, String policyId, String product, String segment) {
        return record(Events.event(eventId, "moratorium.announced", "{\"policyId\":\"" + policyId + "\",\"vendor\":\""
                + VENDOR + "\",\"product\":\"" + product + "\",\"segments\":[\"" + segment + "\"],"
                + "\"effectiveFrom\":\"2021-01-01\",\"effectiveUntil\":\"2031-01-01\"}"), policyId);
    }

    private RawRecord grant(String eventId, String policyId, String organization, String purpose) {
        return record(Events.event(eventId, "moratorium.exemption-granted", "{\"policyId\":\"" + policyId
                + "\",\"organization\":\"" + organization + "\",\"purpose\":\"" + purpose + "\"}"), policyId);
    }

    private RawRecord revoke(String eventId, String policyId, String organization) {
        return record(Events.event(eventId, "moratorium.exemption-revoked", "{\"policyId\":\"" + policyId
                + "\",\"organization\":\"" + organization + "\"}"), policyId);
    }

    private RawRecord record(String cloudEvent, String key) {
        return new RawRecord("policy-changes", -1, --offset, key.getBytes(StandardCharsets.UTF_8),
                cloudEvent.getBytes(StandardCharsets.UTF_8),
                List.of(new RawHeader("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8))),
                Instant.now());
    }
}
