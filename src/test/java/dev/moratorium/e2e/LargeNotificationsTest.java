package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.ingest.PolicyChangeIngestor;
import dev.moratorium.ingest.RecordResult;
import dev.moratorium.testing.Events;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import dev.moratorium.testing.Sql;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Every notification carries its policy's exemptions in force, up to 256 Ki characters (768 KiB
 * of UTF-8 in a three-byte script). A producer that fills a policy to that limit and then revokes
 * and grants makes one such notification per small record: 571 records (3.6 MB) were 430 MB of
 * rows in one transaction, and the packaged service, with the pod's 160 MB heap, died of it at
 * every start on the same batch. A transaction now ends once its rows hold 16 MB and the rest of
 * the batch follows in the next; the feed keeps and reads them by bytes too. Here: all applied
 * once, none lost or doubled, and the list of notifications pages through them all. It shares the
 * default profile's broker and database: what it counts is its own policies' rows.
 */
@QuarkusTest
class LargeNotificationsTest {

    private static final String POLICY = "wide-1";
    /** 4,000 characters of a three-byte script, the longest purpose: 64 of them fill a policy. */
    private static final String PURPOSE = "\u6f22".repeat(4_000);

    @Inject
    DataSource dataSource;

    @Inject
    PolicyChangeIngestor ingestor;

    @Test
    void notificationsOfHundredsOfKilobytesEachAreAppliedOnceInTransactionsOfBoundedSize() throws Exception {
        int events = 0;
        TestKafka.sendStructured(POLICY, Events.announce("wide-announced", POLICY, "2026-01-01", "2030-01-01"));
        events++;
        for (int g = 0; g < 64; g++) {
            TestKafka.sendStructured(POLICY, grant("wide-grant-" + g, g));
            events++;
        }
        for (int r = 0; r < 20; r++) {
            TestKafka.sendStructured(POLICY, Events.event("wide-revoke-" + r, "moratorium.exemption-revoked",
                    "{\"policyId\":\"" + POLICY + "\",\"organization\":\"org-" + r + "\"}"));
            TestKafka.sendStructured(POLICY, grant("wide-regrant-" + r, r));
            events += 2;
        }
        int sent = events;
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(Sql.count(dataSource,
                "SELECT count(*) FROM policy_event WHERE policy_id = '" + POLICY + "'")).isEqualTo(sent));

        assertThat(Sql.count(dataSource, "SELECT count(*) FROM rejection WHERE record_key = convert_to('" + POLICY
                + "', 'UTF8')")).isZero();
        long notifications = Sql.count(dataSource, "SELECT count(*) FROM notification WHERE policy_id = '" + POLICY + "'");
        assertThat(notifications).isEqualTo(sent)
                .isEqualTo(Sql.count(dataSource, "SELECT count(DISTINCT payload->>'causedBy') FROM notification"
                        + " WHERE policy_id = '" + POLICY + "'"));
        assertThat(Sql.count(dataSource, "SELECT count(*) FROM notification WHERE policy_id = '" + POLICY + "'"
                + " AND octet_length(payload::text) > 700000")).as("notifications of the full policy").isGreaterThan(20);
        assertThat(Sql.count(dataSource, "SELECT count(*) FROM notification WHERE policy_id = '" + POLICY + "'"
                + " AND payload_bytes IS DISTINCT FROM octet_length(payload::text)"))
                .as("each row's stored size, which the byte-capped reads sum, is its payload's").isZero();
        assertThat(given().get("/moratoria/" + POLICY).then().statusCode(200).extract().jsonPath()
                .getList("exemptions")).hasSize(64);

        // the list pages through them all, in order, whatever a page's bytes cut it to (other
        // classes' notifications in between are passed over)
        List<Long> stored = seqs();
        List<Long> listed = new ArrayList<>();
        long after = stored.get(0) - 1;
        for (JsonPath page = page(after); !page.getList("sequence").isEmpty(); page = page(after)) {
            List<Number> sequences = page.getList("sequence");
            List<String> policies = page.getList("policyId");
            for (int i = 0; i < sequences.size(); i++) {
                if (POLICY.equals(policies.get(i))) {
                    listed.add(sequences.get(i).longValue());
                }
            }
            after = sequences.get(sequences.size() - 1).longValue();
        }
        assertThat(listed).isEqualTo(stored);
    }

    /**
     * The ingestor itself, as the consumer calls it, on a list of records whose rows pass the
     * budget: one call decides a first part in one transaction, the rest follows in more, and no
     * transaction's notifications hold much more than its share of the 16 MB (each change also
     * writes a state record, and a notification is held twice: its row and its outbox row).
     */
    @Test
    void aBatchWhoseRowsPassTheBudgetIsDecidedInSeveralTransactions() throws Exception {
        String policy = "wide-2";
        List<RawRecord> filling = new ArrayList<>();
        filling.add(record(Events.announce("w2-announced", policy, "2026-01-01", "2030-01-01"), policy));
        for (int g = 0; g < 64; g++) {
            filling.add(record(grant("w2-grant-" + g, policy, g), policy));
        }
        assertThat(ingestor.ingestAll(filling)).hasSize(65).allMatch(RecordResult.Applied.class::isInstance);

        List<RawRecord> churn = new ArrayList<>();
        for (int r = 0; r < 15; r++) {
            churn.add(record(Events.event("w2-revoke-" + r, "moratorium.exemption-revoked",
                    "{\"policyId\":\"" + policy + "\",\"organization\":\"org-" + r + "\"}"), policy));
            churn.add(record(grant("w2-regrant-" + r, policy, r), policy));
        }
        List<RecordResult> first = ingestor.ingest(churn);
        assertThat(first).as("the first transaction's part").hasSizeBetween(1, churn.size() - 1)
                .allMatch(RecordResult.Applied.class::isInstance);
        List<RecordResult> rest = ingestor.ingestAll(churn.subList(first.size(), churn.size()));
        assertThat(rest).hasSize(churn.size() - first.size()).allMatch(RecordResult.Applied.class::isInstance);

        assertThat(Sql.count(dataSource, "SELECT count(*) FROM notification WHERE policy_id = '" + policy + "'"))
                .isEqualTo(95);
        assertThat(Sql.count(dataSource, "SELECT max(bytes) FROM (SELECT sum(octet_length(payload::text)) AS bytes"
                + " FROM notification WHERE policy_id = '" + policy + "' GROUP BY xmin::text) AS t"))
                .as("a transaction's notifications").isLessThan(7_000_000);
        // read again, every record is known: nothing doubled
        assertThat(ingestor.ingestAll(churn)).hasSize(churn.size()).allMatch(RecordResult.Duplicate.class::isInstance);
    }

    private long offset;

    private RawRecord record(String cloudEvent, String key) {
        return new RawRecord("policy-changes", -1, --offset, key.getBytes(StandardCharsets.UTF_8),
                cloudEvent.getBytes(StandardCharsets.UTF_8),
                List.of(new RawHeader("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8))),
                Instant.now());
    }

    private static String grant(String id, int organization) {
        return grant(id, POLICY, organization);
    }

    private static String grant(String id, String policy, int organization) {
        return Events.event(id, "moratorium.exemption-granted", "{\"policyId\":\"" + policy + "\",\"organization\":\"org-"
                + organization + "\",\"purpose\":\"" + PURPOSE + "\"}");
    }

    private static JsonPath page(long after) {
        return given().get("/notifications?limit=500&after=" + after).then().statusCode(200).extract().jsonPath();
    }

    private List<Long> seqs() throws Exception {
        List<Long> seqs = new ArrayList<>();
        try (var c = dataSource.getConnection(); var s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT seq FROM notification WHERE policy_id = '" + POLICY + "' ORDER BY seq")) {
            while (rs.next()) {
                seqs.add(rs.getLong(1));
            }
        }
        return seqs;
    }
}
