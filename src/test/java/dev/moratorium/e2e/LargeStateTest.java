package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.moratorium.readmodel.PoliciesAsKnown;
import dev.moratorium.readmodel.NotificationFeed;
import dev.moratorium.readmodel.PolicyCatalog;
import dev.moratorium.readmodel.PolicyIndex;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.Sql;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.micrometer.core.instrument.MeterRegistry;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Past 65,535 policies (PostgreSQL's bind-parameter limit): 70,000 policies written straight into
 * the real database, then the list, its filters and cursors, the access index and the rejection
 * list are asked what a large deployment asks them. Expected answers are computed here from the
 * same formulas the SQL below uses.
 */
@QuarkusTest
@TestProfile(LargeStateTest.Profile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LargeStateTest {

    static final int POLICIES = 70_000;
    /** The last policy written: its own vendor, and Thorn exempt. */
    static final String TAIL = policyId(POLICIES);

    /** Heap for kept as-of histories, MiB: one test history fits it, a twice longer one does not. */
    static final int KEPT_HISTORIES = 20;

    /** Its own profile: a fresh database; a small count cap and history budget, so that capping is seen. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moratorium.api.count-cap", "5000", "moratorium.api.as-of-kept-histories", KEPT_HISTORIES + "M");
        }
    }

    @Inject
    DataSource dataSource;

    @Inject
    PolicyIndex index;

    @Inject
    NotificationFeed feed;

    @Inject
    PoliciesAsKnown asKnown;

    @Inject
    MeterRegistry registry;

    @BeforeAll
    void writeSeventyThousandPolicies() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO policy (policy_id, kind, vendor, product, vendor_key, product_key, segments,"
                    + " segment_keys, status, effective_from, effective_until, evaluated_at, created_at, updated_at)"
                    + " SELECT 'bulk-' || lpad(i::text, 6, '0'), 'MORATORIUM',"
                    + "   CASE WHEN i = " + POLICIES + " THEN 'Tail Vendor' ELSE 'Vendor ' || (i % 100) END, 'Product ' || (i % 7),"
                    + "   CASE WHEN i = " + POLICIES + " THEN 'tail vendor' ELSE 'vendor ' || (i % 100) END, 'product ' || (i % 7),"
                    + "   CASE WHEN i % 10 = 0 THEN '[\"*\"]'::jsonb ELSE jsonb_build_array('Segment ' || (i % 50)) END,"
                    + "   CASE WHEN i % 10 = 0 THEN ARRAY['*'] ELSE ARRAY['segment ' || (i % 50)] END,"
                    + "   CASE WHEN i = " + POLICIES + " THEN 'ACTIVE' WHEN i % 3 = 1 THEN 'SCHEDULED'"
                    + "        WHEN i % 3 = 2 THEN 'EXPIRED' ELSE 'ACTIVE' END,"
                    + "   CASE WHEN i % 3 = 1 AND i <> " + POLICIES + " THEN timestamptz '2099-01-01'"
                    + "        ELSE timestamptz '2020-01-01' END,"
                    + "   CASE WHEN i % 3 = 2 THEN timestamptz '2021-01-01' END, now(), now(), now()"
                    + " FROM generate_series(1, " + POLICIES + ") AS i");
            s.execute("INSERT INTO exemption (policy_id, position, organization, organization_key, purpose)"
                    + " SELECT 'bulk-' || lpad(i::text, 6, '0'), 0, 'Thorn', 'thorn', 'finding missing children'"
                    + " FROM generate_series(5, " + POLICIES + ", 5) AS i");
            // what autovacuum would do soon after a bulk load: plans for the table's real size
            s.execute("ANALYZE policy, exemption");
        }
    }

    @Test
    @Order(1)
    void theUnfilteredListAnswersWithAnExactTotal() {
        given().get("/moratoria?size=1").then().statusCode(200)
                .body("items", hasSize(1)).body("items[0].policyId", equalTo(policyId(1)))
                .body("total", equalTo(POLICIES)).body("totalExact", equalTo(true))
                .body("next", equalTo(policyId(1)));
        given().get("/moratoria?status=active&size=1").then().statusCode(200)
                .body("total", equalTo(count(i -> status(i).equals("ACTIVE")))).body("totalExact", equalTo(true));
    }

    @Test
    @Order(2)
    void filtersByVendorProductStatusAndSegmentInTheDatabase() {
        IntPredicate vendor7 = i -> i != POLICIES && i % 100 == 7;
        JsonPath byVendor = given().get("/moratoria?vendor= VENDOR 7&size=500").then().statusCode(200).extract().jsonPath();
        assertThat(byVendor.getInt("total")).isEqualTo(count(vendor7));
        assertThat(byVendor.getList("items.vendor", String.class)).hasSize(500).containsOnly("Vendor 7");

        JsonPath active = given().get("/moratoria?vendor=vendor 7&product=Product 0&status=ACTIVE&size=500").then()
                .statusCode(200).extract().jsonPath();
        List<String> expected = ids(i -> vendor7.test(i) && i % 7 == 0 && status(i).equals("ACTIVE"));
        assertThat(active.getList("items.policyId", String.class)).isEqualTo(expected);
        assertThat(active.getInt("total")).isEqualTo(expected.size());

        // covers segment 3: named in the policy, or the policy is for everyone ("*")
        IntPredicate covers3 = i -> i % 10 == 0 || i % 50 == 3;
        JsonPath bySegment = given().get("/moratoria?segment=Segment 3&product=product 3&status=ACTIVE&size=500")
                .then().statusCode(200).extract().jsonPath();
        List<String> covering = ids(i -> covers3.test(i) && i % 7 == 3 && status(i).equals("ACTIVE"));
        assertThat(covering).hasSizeBetween(100, 499);
        assertThat(bySegment.getList("items.policyId", String.class)).isEqualTo(covering);
        assertThat(bySegment.getInt("total")).isEqualTo(covering.size());
        // more match than the count cap (5000 here): total is the cap, marked as a lower bound
        given().get("/moratoria?segment=segment 3&size=1").then().statusCode(200)
                .body("total", equalTo(5000)).body("totalExact", equalTo(false));
        assertThat(count(covers3)).isGreaterThan(5000);
    }

    @Test
    @Order(3)
    void theCursorWalksEveryPageWithoutGapsOrRepeats() {
        List<String> walked = new ArrayList<>();
        String next = null;
        int pages = 0;
        do {
            JsonPath page = given().get("/moratoria?vendor=Vendor 42&size=97" + (next == null ? "" : "&after=" + next))
                    .then().statusCode(200).extract().jsonPath();
            walked.addAll(page.getList("items.policyId", String.class));
            next = page.getString("next");
            pages++;
        } while (next != null && pages < 100);
        assertThat(walked).isEqualTo(ids(i -> i != POLICIES && i % 100 == 42));
        assertThat(new HashSet<>(walked)).hasSameSizeAs(walked);
        // offset pages agree with the cursor's where they overlap, and are capped
        assertThat(given().get("/moratoria?vendor=Vendor 42&size=97&page=2").then().extract().jsonPath()
                .getList("items.policyId", String.class)).isEqualTo(walked.subList(194, 291));
        given().get("/moratoria?page=1000&size=50").then().statusCode(400).body("error", equalTo("invalid-parameter"));
        given().get("/moratoria?page=1&after=bulk-000001").then().statusCode(400);
    }

    @Test
    @Order(4)
    void exemptionsComeWithThePagesPolicies() {
        given().get("/moratoria?vendor=Tail Vendor").then().statusCode(200)
                .body("items[0].policyId", equalTo(TAIL)).body("items[0].exemptions[0].organization", equalTo("Thorn"))
                .body("total", equalTo(1)).body("next", nullValue());
    }

    @Test
    @Order(5)
    void theAccessIndexLoadsEveryPolicyFromScratch() {
        long started = System.nanoTime();
        index.reload();
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertThat(index.size()).isEqualTo(POLICIES);
        System.out.printf("access index: %d policies loaded from scratch in %d ms%n", index.size(), ms);
        String access = "/access?vendor=tail vendor&product=Product " + (POLICIES % 7) + "&segment=anyone";
        given().get(access).then().statusCode(200)
                .body("allowed", equalTo(false)).body("policyId", equalTo(TAIL));
        given().get(access + "&organization=THORN").then().statusCode(200)
                .body("allowed", equalTo(true)).body("policyId", equalTo(TAIL));
        given().get("/q/health/ready").then().body("checks.find { it.name == 'Access index' }.status", equalTo("UP"));
        given().get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("moratorium_index_age_seconds"))
                .body(org.hamcrest.Matchers.containsString("moratorium_index_refresh_failures_total"));
    }

    /** Memory per policy of the index: heap held by a freshly loaded catalog over its size. */
    @Test
    @Order(6)
    void measuresTheIndexsMemoryPerPolicy() {
        long before = usedHeapAfterGc();
        PolicyCatalog catalog = index.loadCatalog();
        long after = usedHeapAfterGc();
        assertThat(catalog.size()).isEqualTo(POLICIES);
        System.out.printf("access index: %.0f bytes per policy (%d policies, %.1f MiB; one exemption on every"
                + " fifth)%n", (after - before) / (double) catalog.size(), catalog.size(), (after - before) / 1048576.0);
        assertThat(catalog.policiesFor("tail vendor", "product " + (POLICIES % 7))).hasSize(1);
    }

    @Test
    @Order(7)
    void theRejectionListCutsLargeValuesInTheDatabase() throws SQLException {
        byte[] value = "x".repeat(100_000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO rejection (id, topic, kafka_partition, kafka_offset, record_key, record_value, headers,"
                        + " reason_code, reason_message, received_at, status) VALUES (1000000, 'policy-changes', 0, 1,"
                        + " 'big'::bytea, ?, '[]'::jsonb, 'too-large', 'the record is larger than 64 KiB', now(), 'OPEN')")) {
            s.setBytes(1, value);
            s.executeUpdate();
        }
        given().get("/rejections").then().statusCode(200)
                .body("find { it.id == 1000000 }.valueSize", equalTo(100_000))
                .body("find { it.id == 1000000 }.value", equalTo("x".repeat(2048) + "…"))
                .body("find { it.id == 1000000 }.key", equalTo("big"))
                .body("find { it.id == 1000000 }.reason", notNullValue());
    }

    /**
     * The per-status counts (V5's triggers, V10's for updates) follow status changes and deletes,
     * whether a statement changes many rows or a JDBC batch (as the writers send) one row each, and
     * skip updates that keep the status.
     */
    @Test
    @Order(8)
    void theCountsPerStatusFollowEveryWrite() throws SQLException {
        int active = count(i -> status(i).equals("ACTIVE"));
        int scheduled = count(i -> status(i).equals("SCHEDULED"));
        int expired = count(i -> status(i).equals("EXPIRED"));
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE policy SET status = 'LIFTED' WHERE policy_id IN ('bulk-000003', 'bulk-000006', 'bulk-000009')");
            s.executeUpdate("UPDATE policy SET reason = 'same status' WHERE policy_id = 'bulk-000012'");
            s.executeUpdate("UPDATE policy SET status = status, reason = 'status set, not changed' WHERE policy_id = 'bulk-000018'");
            // one statement moving rows both ways: two SCHEDULED become EXPIRED, one EXPIRED becomes SCHEDULED
            s.executeUpdate("UPDATE policy SET status = CASE status WHEN 'SCHEDULED' THEN 'EXPIRED' ELSE 'SCHEDULED' END"
                    + " WHERE policy_id IN ('bulk-000001', 'bulk-000004', 'bulk-000002')");
            s.executeUpdate("DELETE FROM exemption WHERE policy_id = 'bulk-000015'");
            s.executeUpdate("DELETE FROM policy WHERE policy_id = 'bulk-000015'");
            try (PreparedStatement batch = c.prepareStatement("UPDATE policy SET status = ? WHERE policy_id = ?")) {
                // a batch of single-row updates: to LIFTED and back (no net change), and one EXPIRED lifted
                for (String[] row : new String[][] {{"LIFTED", "bulk-000021"}, {"ACTIVE", "bulk-000021"},
                        {"LIFTED", "bulk-000005"}}) {
                    batch.setString(1, row[0]);
                    batch.setString(2, row[1]);
                    batch.addBatch();
                }
                batch.executeBatch();
            }
        }
        given().get("/moratoria?status=ACTIVE&size=1").then().body("total", equalTo(active - 4))
                .body("totalExact", equalTo(true));
        given().get("/moratoria?status=LIFTED&size=1").then().body("total", equalTo(4));
        given().get("/moratoria?status=SCHEDULED&size=1").then().body("total", equalTo(scheduled - 1));
        given().get("/moratoria?status=EXPIRED&size=1").then().body("total", equalTo(expired));
        given().get("/moratoria?size=1").then().body("total", equalTo(POLICIES - 1));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                given().get("/ops/status").then().body("activeMoratoria", equalTo(active - 4)));
    }

    /**
     * A live client further behind than the feed keeps in memory catches up from the database, a
     * page at a time, with neither gaps nor repeats where memory takes over.
     */
    @Test
    @Order(9)
    void aClientFurtherBehindThanMemoryCatchesUpFromTheDatabase() throws SQLException {
        int written = NotificationFeed.KEPT + 300;
        long first;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload)"
                    + " SELECT nextval('notification_seq'), 'feed-' || i, 'moratorium.announced', 'bulk-000001', now(),"
                    + " now(), json_build_object('n', i) FROM generate_series(1, " + written + ") AS i");
            try (var rs = s.executeQuery("SELECT min(seq) FROM notification WHERE notification_id LIKE 'feed-%'")) {
                rs.next();
                first = rs.getLong(1);
            }
        }
        long last = first + written - 1;
        await().atMost(Duration.ofSeconds(20)).until(() -> feed.latest() >= last);

        List<Long> caughtUp = new ArrayList<>();
        long cursor = first - 1;
        while (cursor < last) {
            List<NotificationFeed.Item> page = feed.after(cursor, 200, Duration.ZERO).orElseThrow(); // from the database, then from memory
            assertThat(page).isNotEmpty();
            page.forEach(item -> caughtUp.add(item.sequence()));
            cursor = page.get(page.size() - 1).sequence();
        }
        assertThat(caughtUp).containsExactlyElementsOf(LongStream.rangeClosed(first, last).boxed().toList());
        NotificationFeed.Item oldest = feed.after(first - 1, 1, Duration.ZERO).orElseThrow().get(0);
        assertThat(JsonPath.from(oldest.json()).getInt("n")).isEqualTo(1);
        assertThat(JsonPath.from(oldest.json()).getLong("sequence")).isEqualTo(first);
    }

    /**
     * A policy with 1,234 events among 70,000 other policies' events: its history is walked a page
     * at a time by the Link header, each page read through the (policy_id, id) index.
     */
    @Test
    @Order(10)
    void aLongHistoryIsWalkedAPageAtATimeByItsLinkHeader() throws SQLException {
        int events = 1_234;
        String policy = policyId(7);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                    + " SELECT 'other-' || i, 'bulk-' || lpad(i::text, 6, '0'), 'moratorium.announced', 'test',"
                    + " timestamptz '2020-01-01', json_build_object('n', i), now() FROM generate_series(1, " + POLICIES + ") AS i");
            s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                    + " SELECT 'long-' || i, '" + policy + "', 'exemption.granted', 'test',"
                    + " timestamptz '2020-01-01' + i * interval '1 minute', json_build_object('n', i), now()"
                    + " FROM generate_series(1, " + events + ") AS i ORDER BY i");
            s.execute("ANALYZE policy_event");
            StringBuilder plan = new StringBuilder();
            try (var rs = s.executeQuery("EXPLAIN SELECT * FROM policy_event WHERE policy_id = '" + policy + "'"
                    + " AND id > 0 ORDER BY id LIMIT 98")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("policy_event_policy_idx").doesNotContain("Seq Scan");
        }

        List<String> walked = new ArrayList<>();
        List<Long> sequences = new ArrayList<>();
        String url = "/moratoria/" + policy + "/history?limit=97";
        int pages = 0;
        while (url != null && pages < 100) {
            var answer = given().get(url).then().statusCode(200).extract();
            List<String> ids = answer.jsonPath().getList("id", String.class);
            assertThat(ids).hasSizeLessThanOrEqualTo(97);
            walked.addAll(ids);
            sequences.addAll(answer.jsonPath().getList("sequence", Long.class));
            url = nextLink(answer.header("Link"));
            pages++;
        }
        assertThat(pages).isEqualTo((events + 1 + 96) / 97); // its announcement and the grants
        assertThat(walked).containsExactlyElementsOf(IntStream.rangeClosed(0, events).mapToObj(
                i -> i == 0 ? "other-7" : "long-" + i).toList());
        assertThat(sequences).isSorted().doesNotHaveDuplicates();

        // without parameters: the first 100, and a link that keeps the page size
        var first = given().get("/moratoria/" + policy + "/history").then().statusCode(200).body("", hasSize(100)).extract();
        assertThat(first.header("Link")).isEqualTo("</moratoria/" + policy + "/history?after=" + sequences.get(99)
                + "&limit=100>; rel=\"next\"");
        // past the end: nothing, and no link
        var past = given().get("/moratoria/" + policy + "/history?after=" + sequences.get(events)).then().statusCode(200)
                .body("", hasSize(0)).extract();
        assertThat(past.header("Link")).isNull();
        // exactly a page left: no link to an empty page
        assertThat(given().get("/moratoria/" + policy + "/history?limit=2&after=" + sequences.get(events - 2))
                .then().body("id", equalTo(List.of("long-" + (events - 1), "long-" + events))).extract().header("Link")).isNull();
        for (String bad : List.of("limit=0", "limit=501", "limit=x", "after=-1", "after=1e3", "after=99999999999999999999")) {
            given().get("/moratoria/" + policy + "/history?" + bad).then().statusCode(400)
                    .body("error", equalTo("invalid-parameter"));
        }
    }

    /**
     * As-of answers over histories longer than PoliciesAsKnown keeps: 80,000 extensions of one
     * policy are replayed from a cursor, right for any instant, and not kept; a product with 40,000
     * events is kept, and what it costs in heap is measured against the estimate that bounds it.
     */
    @Test
    @Order(11)
    void asOfAnswersReplayHistoriesLongerThanAreKept() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            insertExtensions(s, TAIL, "Tail Vendor", "Product " + (POLICIES % 7), 80_000);
            insertExtensions(s, policyId(1), "Vendor 1", "Product 1", 40_000);
        }
        long estimated;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT count(*), sum(length(data::text)) FROM policy_event"
                        + " WHERE event_id LIKE '" + policyId(1) + "-%'")) {
            rs.next();
            estimated = rs.getLong(1) * PoliciesAsKnown.EVENT_BYTES + rs.getLong(2) * PoliciesAsKnown.BYTES_PER_DATA_CHAR;
        }
        assertThat(estimated).as("the shorter history fits what is kept").isLessThan(KEPT_HISTORIES * 1048576L);
        // extension k, announced at T0 + k minutes, moves the end to END + k minutes
        int k = 12_345;
        Instant known = T0.plus(Duration.ofMinutes(k));
        Instant at = END.plus(Duration.ofMinutes(k)).plusSeconds(30);
        String access = "/access?vendor=Tail Vendor&product=Product " + (POLICIES % 7) + "&segment=police&at=" + at
                + "&asOf=";
        given().get(access + known).then().statusCode(200).body("allowed", equalTo(true)); // it had ended 30 s before
        given().get(access + known.plusSeconds(60)).then().statusCode(200).body("allowed", equalTo(false));
        given().get(access + known.minusSeconds(60)).then().statusCode(200).body("allowed", equalTo(true));
        assertThat(asKnown.keptPoliciesFor("Tail Vendor", "Product " + (POLICIES % 7), known))
                .as("a history past the cap is not kept").isEmpty();
        given().get("/moratoria/" + TAIL + "?asOf=" + known).then().statusCode(200)
                .body("effectiveUntil", equalTo(END.plus(Duration.ofMinutes(k)).toString()));
        assertThat(asKnown.checkpointedOnly(TAIL)).as("a history too long to keep is remembered by checkpoints").isTrue();
        // From the checkpoints: any instant, before the first extension and after the last
        long started = System.nanoTime();
        int answers = 0;
        for (int e : List.of(0, 1, 999, 1_000, 1_001, 31_999, 40_000, 64_000, 79_999, 80_000)) {
            Instant asOf = T0.plus(Duration.ofMinutes(e)).plusSeconds(e == 0 ? -1 : 0);
            given().get("/moratoria/" + TAIL + "?asOf=" + asOf).then().statusCode(200)
                    .body("effectiveUntil", equalTo(END.plus(Duration.ofMinutes(e)).toString()));
            String tail = "/access?vendor=Tail Vendor&product=Product " + (POLICIES % 7) + "&segment=police&asOf=" + asOf;
            Instant end = END.plus(Duration.ofMinutes(e));
            given().get(tail + "&at=" + end.minusSeconds(30)).then().statusCode(200).body("allowed", equalTo(false));
            given().get(tail + "&at=" + end.plusSeconds(30)).then().statusCode(200).body("allowed", equalTo(true));
            answers += 3;
        }
        System.out.printf("as-of over 80,000 events from checkpoints: %.0f ms an answer%n",
                (System.nanoTime() - started) / 1e6 / answers);
        // Rows written since the checkpoints were marked: an instant that knew them all reads them and
        // marks on from there; one among them replays from a checkpoint
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            insertMoreExtensions(s, TAIL, 80_001, 82_500);
        }
        for (int e : List.of(82_500, 81_000, 80_000, 82_500)) {
            given().get("/moratoria/" + TAIL + "?asOf=" + T0.plus(Duration.ofMinutes(e))).then().statusCode(200)
                    .body("effectiveUntil", equalTo(END.plus(Duration.ofMinutes(e)).toString()));
        }
        given().get(access + T0.plus(Duration.ofMinutes(82_500))).then().statusCode(200).body("allowed", equalTo(false));

        long before = usedHeapAfterGc();
        given().get("/access?vendor=Vendor 1&product=Product 1&segment=police&at=" + at + "&asOf=" + known.plusSeconds(60))
                .then().statusCode(200).body("allowed", equalTo(false));
        long after = usedHeapAfterGc();
        assertThat(asKnown.keptPoliciesFor("Vendor 1", "Product 1", known)).as("a shorter history is kept").isPresent();
        // one policy of it, answered from what is kept, at any instant
        for (int e : List.of(0, 999, 12_345, 40_000)) {
            Instant asOf = T0.plus(Duration.ofMinutes(e)).plusSeconds(e == 0 ? -1 : 0);
            given().get("/moratoria/" + policyId(1) + "?asOf=" + asOf).then().statusCode(200)
                    .body("effectiveUntil", equalTo(END.plus(Duration.ofMinutes(e)).toString()));
        }
        System.out.printf("as-of histories kept: %.0f bytes per event (40,001 events, %.1f MiB; estimated %.1f MiB)%n",
                (after - before) / 40_001.0, (after - before) / 1048576.0, estimated / 1048576.0);
        assertThat(after - before).as("the heap kept events take, against the estimate that bounds it").isLessThan(estimated);
    }

    /**
     * Gateways ask about one product together, most after a restart or a write: eight requests at
     * once about a product of 80,000 events not yet read read its rows once, not eight times (each
     * waits for the first and answers from its checkpoints); and a policy asked about alone
     * (GET /moratoria/{id}?asOf) is read once too, then answered from its checkpoints, where each
     * answer read its rows up to asOf again.
     */
    @Test
    @Order(12)
    void concurrentFirstAsOfReadsOfAProductReadItsRowsOnce() throws Exception {
        int events = 80_000;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            insertExtensions(s, policyId(2), "Vendor 2", "Product 2", events);
            insertExtensions(s, policyId(3), "Vendor 3", "Product 3", events);
        }
        Instant end = END.plus(Duration.ofMinutes(events));
        String access = "/access?vendor=Vendor 2&product=Product 2&segment=Segment 2&asOf=" + T0.plus(Duration.ofDays(400))
                + "&at=";
        double before = rowsRead();
        ExecutorService gateways = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Instant at = i % 2 == 0 ? end.minusSeconds(30) : end.plusSeconds(30);
                answers.add(gateways.submit(() -> given().get(access + at).then().statusCode(200)
                        .extract().<Boolean>path("allowed")));
            }
            for (int i = 0; i < 8; i++) {
                assertThat(answers.get(i).get()).as("answer %d", i).isEqualTo(i % 2 == 1);
            }
        } finally {
            gateways.shutdownNow();
        }
        double read = rowsRead() - before;
        System.out.printf("as-of, 8 requests at once about a product of %,d events: %,.0f rows read%n", events + 1, read);
        assertThat(read).as("rows read by 8 first requests at once").isBetween(events + 1.0, 1.5 * events);

        Instant mid = T0.plus(Duration.ofMinutes(events / 2));
        String one = "/moratoria/" + policyId(3) + "?asOf=" + mid;
        String until = END.plus(Duration.ofMinutes(events / 2)).toString();
        before = rowsRead();
        given().get(one).then().statusCode(200).body("effectiveUntil", equalTo(until));
        double first = rowsRead() - before;
        before = rowsRead();
        given().get(one).then().statusCode(200).body("effectiveUntil", equalTo(until));
        given().get("/moratoria/" + policyId(3) + "?asOf=" + mid.plusSeconds(60)).then().statusCode(200)
                .body("effectiveUntil", equalTo(END.plus(Duration.ofMinutes(events / 2 + 1)).toString()));
        double next = rowsRead() - before;
        System.out.printf("as-of, one policy of %,d events: %,.0f rows read first, %,.0f for the next two answers%n",
                events + 1, first, next);
        // its own rows, and those of the product's other policies that earlier tests wrote through ingest
        assertThat(first).isBetween(events + 1.0, events + 1_000.0);
        assertThat(asKnown.checkpointedOnly(policyId(3))).isTrue();
        assertThat(next).as("rows read by two answers from the checkpoints").isLessThan(10_000);
    }

    /**
     * Products that do not all fit the kept budget: the one kept longest makes room for the newest,
     * the others stay. Dropping every kept history for one that did not fit made each product read
     * from the database again after it, and with more products than fit, every as-of request.
     */
    @Test
    @Order(13)
    void aReadThatDoesNotFitDropsTheHistoriesKeptLongestNotAll() throws SQLException {
        int events = 22_000;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (int i = 4; i <= 6; i++) {
                insertExtensions(s, policyId(i), "Vendor " + i, "Product " + i, events);
            }
        }
        long each = estimatedKeptBytes(policyId(4));
        long budget = KEPT_HISTORIES * 1048576L;
        assertThat(2 * each).as("two fit").isLessThan(budget * 95 / 100);
        assertThat(3 * each).as("three do not").isGreaterThan(budget * 105 / 100);
        Instant asOf = T0.plus(Duration.ofDays(400));
        for (int i = 4; i <= 6; i++) {
            given().get("/access?vendor=Vendor " + i + "&product=Product " + i + "&segment=police&asOf=" + asOf)
                    .then().statusCode(200).body("allowed", equalTo(false));
        }
        assertThat(asKnown.keeps("Vendor 6", "Product 6")).as("the newest").isTrue();
        assertThat(asKnown.keeps("Vendor 5", "Product 5")).as("kept beside it").isTrue();
        assertThat(asKnown.keeps("Vendor 4", "Product 4")).as("kept longest, dropped").isFalse();
    }

    @Test
    @Order(14)
    void aHistoryThatAnsweredSinceItWasKeptIsSparedOnce() {
        // as the previous test left them: 5 kept longest, then 6; 4 dropped; none has answered since
        Instant asOf = T0.plus(Duration.ofDays(400));
        double before = rowsRead();
        given().get("/access?vendor=Vendor 5&product=Product 5&segment=police&asOf=" + asOf)
                .then().statusCode(200).body("allowed", equalTo(false));
        assertThat(rowsRead()).as("answered from the kept history").isEqualTo(before);

        given().get("/access?vendor=Vendor 4&product=Product 4&segment=police&asOf=" + asOf)
                .then().statusCode(200).body("allowed", equalTo(false));

        assertThat(asKnown.keeps("Vendor 4", "Product 4")).as("the one just read").isTrue();
        assertThat(asKnown.keeps("Vendor 5", "Product 5")).as("kept longest, but asked about since: spared").isTrue();
        assertThat(asKnown.keeps("Vendor 6", "Product 6")).as("kept later, never asked about: dropped").isFalse();
    }

    /** What PoliciesAsKnown estimates one policy's decoded history to take. */
    private long estimatedKeptBytes(String policyId) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT count(*), sum(length(data::text)) FROM policy_event"
                        + " WHERE policy_id = '" + policyId + "'")) {
            rs.next();
            return rs.getLong(1) * PoliciesAsKnown.EVENT_BYTES + rs.getLong(2) * PoliciesAsKnown.BYTES_PER_DATA_CHAR;
        }
    }

    private double rowsRead() {
        return registry.get("moratorium.asof.rows.read").counter().count();
    }

    static final Instant T0 = Instant.parse("2020-02-01T00:00:00Z");
    static final Instant END = Instant.parse("2030-01-01T00:00:00Z");

    /**
     * A product of 50 policies, each granted 60 exemptions of 4,000 characters outside Latin-1 (their
     * rows interleaved by id, as grants to many policies come): 24 MB of text, too long to keep, read
     * from the database for every answer, policy after policy, each held as the answer needs it (the
     * named organization's exemptions; for one policy's answer, the others without theirs). Read
     * whole and at once, 300 such policies ended the packaged service. The answers are the ones the
     * whole policies give.
     */
    @Test
    @Order(17)
    void asOfReadsOfAProductOfManyLargePoliciesAnswerPolicyByPolicy() throws SQLException {
        int policies = 50;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (int i = 0; i < policies; i++) {
                insertAnnouncement(s, "wide-" + i, "Wide Vendor", "Wide Product");
            }
            s.execute("INSERT INTO policy (policy_id, kind, vendor, product, vendor_key, product_key, segments,"
                    + " segment_keys, status, effective_from, effective_until, evaluated_at, created_at, updated_at)"
                    + " SELECT 'wide-' || i, 'MORATORIUM', 'Wide Vendor', 'Wide Product', 'wide vendor', 'wide product',"
                    + " '[\"*\"]'::jsonb, ARRAY['*'], 'ACTIVE', timestamptz '2020-01-01', timestamptz '" + END + "',"
                    + " now(), now(), now() FROM generate_series(0, " + (policies - 1) + ") AS i");
            // grant k of every policy, then grant k + 1 of every policy: each policy's rows far apart
            s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                    + " SELECT 'wide-' || i || '-' || k, 'wide-' || i, 'moratorium.exemption-granted', 'urn:test',"
                    + " timestamptz '" + T0 + "' + k * interval '1 minute', json_build_object('policyId', 'wide-' || i,"
                    + " 'organization', 'Org ' || k, 'purpose', repeat(chr(19968 + 300 + k), 4000)), now()"
                    + " FROM generate_series(1, 60) AS k, generate_series(0, " + (policies - 1) + ") AS i ORDER BY k, i");
        }
        index.reload();
        Instant asOf = T0.plus(Duration.ofMinutes(30)).plusSeconds(30); // grants 1 to 30 known
        String access = "/access?vendor=Wide Vendor&product=Wide Product&segment=police&at=" + asOf + "&asOf=" + asOf;
        double before = rowsRead();
        given().get(access + "&organization=Org 7").then().statusCode(200).body("allowed", equalTo(true));
        assertThat(rowsRead() - before).as("read from the database: too long to keep").isEqualTo(policies * 61.0);
        given().get(access + "&organization=ＯＲＧ 7").then().statusCode(200).body("allowed", equalTo(true));
        assertThat(asKnown.lastReadMostReplays()).as("found too long: one policy replayed at a time").isEqualTo(1);
        given().get(access + "&organization=Org 31").then().statusCode(200).body("allowed", equalTo(false));
        given().get(access).then().statusCode(200).body("allowed", equalTo(false));
        JsonPath explained = given().get(access + "&organization=Org 12&explain=true").then().statusCode(200)
                .body("allowed", equalTo(true)).extract().jsonPath();
        assertThat(explained.getList("explanation.policies")).hasSize(policies);
        assertThat(explained.getList("explanation.policies.exemption.purpose", String.class))
                .containsOnly(String.valueOf((char) (19968 + 312)).repeat(4_000));
        JsonPath one = given().get("/moratoria/wide-17?asOf=" + asOf).then().statusCode(200).extract().jsonPath();
        assertThat(one.getList("exemptions.organization", String.class))
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 30).mapToObj(k -> "Org " + k).toList());
        assertThat(one.getString("exemptions[29].purpose")).isEqualTo(String.valueOf((char) (19968 + 330)).repeat(4_000));
        assertThat(asKnown.keeps("Wide Vendor", "Wide Product")).isFalse();
        assertThat(asKnown.held().reading()).as("nothing reserved after the reads").isZero();
    }

    /** The announcement of a policy written by SQL: from 2020-01-01, ending at END, every segment. */
    private static void insertAnnouncement(Statement s, String policy, String vendor, String product)
            throws SQLException {
        s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                + " VALUES ('" + policy + "-announced', '" + policy + "', 'moratorium.announced', 'urn:test',"
                + " timestamptz '2020-01-01', json_build_object('policyId', '" + policy + "', 'vendor', '" + vendor + "',"
                + " 'product', '" + product + "', 'segments', json_build_array('*'), 'effectiveFrom', '2020-01-01T00:00:00Z',"
                + " 'effectiveUntil', '" + END + "'), now())");
    }

    /** An announcement ending at END, then {@code events} extensions, the k-th at T0 + k minutes to END + k minutes. */
    private static void insertExtensions(Statement s, String policy, String vendor, String product, int events)
            throws SQLException {
        insertAnnouncement(s, policy, vendor, product);
        s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                + " SELECT '" + policy + "-' || i, '" + policy + "', 'moratorium.extended', 'urn:test',"
                + " timestamptz '" + T0 + "' + i * interval '1 minute', json_build_object('policyId', '" + policy + "',"
                + " 'effectiveUntil', to_char((timestamptz '" + END + "' + i * interval '1 minute') AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), now() FROM generate_series(1, " + events + ") AS i ORDER BY i");
    }

    /** Extensions {@code from} to {@code to} of {@code policy}, as {@link #insertExtensions} numbers them. */
    private static void insertMoreExtensions(Statement s, String policy, int from, int to) throws SQLException {
        s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                + " SELECT '" + policy + "-' || i, '" + policy + "', 'moratorium.extended', 'urn:test',"
                + " timestamptz '" + T0 + "' + i * interval '1 minute', json_build_object('policyId', '" + policy + "',"
                + " 'effectiveUntil', to_char((timestamptz '" + END + "' + i * interval '1 minute') AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), now() FROM generate_series(" + from + ", " + to + ") AS i ORDER BY i");
    }

    /**
     * Events of 60 kB each (valid grants a producer filled with fields of its own, which the history
     * keeps as received): a page of the history stops after a megabyte of them, whatever its limit,
     * and the Link header names the rest. 500 such events read whole for one page ended the
     * packaged service. Each event's data comes back as it was sent.
     */
    @Test
    @Order(15)
    void aPageOfLargeEventsStopsAfterAMegabyteAndLinksToTheRest() throws Exception {
        String policy = "large-events";
        StringBuilder fields = new StringBuilder();
        for (int k = 0; k < 5_000; k++) {
            fields.append(k == 0 ? "" : ",").append("\"k").append(k).append("\":").append(k);
        }
        TestKafka.sendStructured(policy, Events.announce(policy + "-announced", policy, "2026-01-01", "2030-01-01"));
        int grants = 40;
        for (int i = 1; i <= grants; i++) {
            TestKafka.sendStructured(policy, Events.event(policy + "-" + i, "moratorium.exemption-granted",
                    "{\"policyId\":\"" + policy + "\",\"organization\":\"Org " + i + "\",\"x\":{" + fields + "}}"));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> Sql.count(dataSource,
                "SELECT count(*) FROM policy_event WHERE policy_id = '" + policy + "'") == grants + 1);
        assertThat(Sql.count(dataSource, "SELECT count(*) FROM policy_event WHERE policy_id = '" + policy + "'"
                + " AND data_bytes IS DISTINCT FROM octet_length(data::text)")).as("each row's stored size").isZero();

        List<String> walked = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String url = "/moratoria/" + policy + "/history?limit=500";
        while (url != null && walked.size() <= grants + 1) {
            var answer = given().get(url).then().statusCode(200).extract();
            List<String> ids = answer.jsonPath().getList("id", String.class);
            walked.addAll(ids);
            pageSizes.add(ids.size());
            if (ids.size() > 1) {
                assertThat(answer.jsonPath().getInt("[1].data.x.k4999")).as("the data as sent").isEqualTo(4_999);
            }
            url = nextLink(answer.header("Link"));
        }
        // each grant's data is 62,837 bytes: the small announcement and 16 grants start within the first
        // megabyte, 16 within the next, and the last 8 are the rest
        assertThat(pageSizes).containsExactly(17, 16, 8);
        assertThat(walked).containsExactlyElementsOf(IntStream.rangeClosed(0, grants)
                .mapToObj(i -> i == 0 ? policy + "-announced" : policy + "-" + i).toList());
    }

    /**
     * Policies whose 60 exemptions are granted again and again, each time with a new purpose of 4,000
     * characters outside Latin-1 (30,000 events each, too long to keep): their checkpoints would hold
     * 480 KB of text each, 14 MB a policy. Three as-of questions about three such policies (128,000
     * events each) ended the packaged service with the pod's 160 MB heap. Now everything held for
     * as-of answers stays within the budget, remembered checkpoints within half of it, nothing stays
     * reserved after the reads, and the answers are still right. A product found too long is not
     * collected again: read again, it does not drop a short history kept meanwhile.
     */
    @Test
    @Order(16)
    void asOfReadsOfPurposesGrantedAgainAndAgainStayWithinTheBudget() throws SQLException {
        List<Integer> churned = List.of(30, 31, 32);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (int i : churned) {
                insertRegrants(s, policyId(i), "Vendor " + i, "Product " + (i % 7), 30_000);
            }
            insertExtensions(s, policyId(34), "Vendor 34", "Product 6", 1_000);
        }
        long budget = KEPT_HISTORIES * 1048576L;
        long before = usedHeapAfterGc();
        Instant mid = T0.plus(Duration.ofMinutes(12_345));
        String midPurpose = String.valueOf((char) (0x4e00 + 12)).repeat(4_000);
        for (int i : churned) {
            JsonPath latest = given().get("/moratoria/" + policyId(i) + "?asOf=" + T0.plus(Duration.ofDays(30)))
                    .then().statusCode(200).extract().jsonPath();
            assertThat(latest.getString("effectiveUntil")).isEqualTo(END.plus(Duration.ofMinutes(30_000)).toString());
            assertThat(latest.getList("exemptions")).hasSize(60);
            assertAnsweredAsOf(i, mid, midPurpose);
            assertHeldWithin(budget);
        }
        given().get("/access?vendor=Vendor 34&product=Product 6&segment=police&asOf=" + mid).then()
                .statusCode(200).body("allowed", equalTo(false));
        // one whose checkpoints made room for the others' is read again, as a product found too long
        int dropped = churned.stream().filter(i -> !asKnown.checkpointedOnly(policyId(i))).findFirst().orElseThrow();
        assertAnsweredAsOf(dropped, mid, midPurpose);
        assertHeldWithin(budget);
        assertThat(asKnown.keeps("Vendor 34", "Product 6")).as("kept between reads of products too long to keep").isTrue();
        assertThat(churned.stream().filter(i -> asKnown.checkpointedOnly(policyId(i))))
                .as("too long to keep; remembered by checkpoints while they fit").isNotEmpty();
        long after = usedHeapAfterGc();
        System.out.printf("as-of over 3 policies of 30,000 events, purposes granted again: heap %+.1f MiB, held %s%n",
                (after - before) / 1048576.0, asKnown.held());
        assertThat(after - before).as("the heap they hold, against the budget that bounds it").isLessThan(budget);
    }

    private void assertAnsweredAsOf(int i, Instant mid, String midPurpose) {
        JsonPath then = given().get("/moratoria/" + policyId(i) + "?asOf=" + mid).then().statusCode(200)
                .extract().jsonPath();
        assertThat(then.getString("effectiveUntil")).isEqualTo(END.plus(Duration.ofMinutes(12_345)).toString());
        assertThat(then.getString("exemptions.find { it.organization == 'Org 7' }.purpose")).isEqualTo(midPurpose);
        String access = "/access?vendor=Vendor " + i + "&product=Product " + (i % 7) + "&segment=police&asOf=" + mid
                + "&at=" + mid + "&organization=";
        given().get(access + "Org 7").then().statusCode(200).body("allowed", equalTo(true));
        given().get(access + "Org 99").then().statusCode(200).body("allowed", equalTo(false));
    }

    private void assertHeldWithin(long budget) {
        PoliciesAsKnown.Held held = asKnown.held();
        assertThat(held.reading()).as("nothing reserved after the reads").isZero();
        assertThat(held.total()).as("everything held, within the budget").isLessThanOrEqualTo(budget);
        assertThat(held.checkpointed()).as("remembered checkpoints, within half").isLessThanOrEqualTo(budget / 2);
    }

    /**
     * An announcement ending at END, then {@code events} events at T0 + k minutes: in each thousand,
     * the 1st to the 60th grant "Org 1" to "Org 60" a purpose of 4,000 times one CJK character (a new
     * one per thousand), the others extend the end to END + k minutes.
     */
    private static void insertRegrants(Statement s, String policy, String vendor, String product, int events)
            throws SQLException {
        insertAnnouncement(s, policy, vendor, product);
        s.execute("INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                + " SELECT '" + policy + "-' || i, '" + policy + "',"
                + " CASE WHEN i % 1000 BETWEEN 1 AND 60 THEN 'moratorium.exemption-granted' ELSE 'moratorium.extended' END,"
                + " 'urn:test', timestamptz '" + T0 + "' + i * interval '1 minute',"
                + " CASE WHEN i % 1000 BETWEEN 1 AND 60"
                + "   THEN json_build_object('policyId', '" + policy + "', 'organization', 'Org ' || (i % 1000),"
                + "     'purpose', repeat(chr(19968 + i / 1000), 4000))"
                + "   ELSE json_build_object('policyId', '" + policy + "', 'effectiveUntil',"
                + "     to_char((timestamptz '" + END + "' + i * interval '1 minute') AT TIME ZONE 'UTC',"
                + "     'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) END,"
                + " now() FROM generate_series(1, " + events + ") AS i ORDER BY i");
    }

    private static String nextLink(String link) {
        if (link == null) {
            return null;
        }
        var m = java.util.regex.Pattern.compile("^<([^>]+)>; rel=\"next\"$").matcher(link);
        assertThat(m.matches()).as("Link: %s", link).isTrue();
        return m.group(1);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // What the heap held right after the last collection, pool by pool: the heap's current use also
        // counts what the broker and the service allocated since, up to 26 MiB in one CI run.
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null)
                .mapToLong(pool -> pool.getCollectionUsage().getUsed()).sum();
    }

    static String policyId(int i) {
        return String.format("bulk-%06d", i);
    }

    static String status(int i) {
        if (i == POLICIES) {
            return "ACTIVE";
        }
        return switch (i % 3) {
            case 1 -> "SCHEDULED";
            case 2 -> "EXPIRED";
            default -> "ACTIVE";
        };
    }

    static int count(IntPredicate p) {
        return (int) IntStream.rangeClosed(1, POLICIES).filter(p).count();
    }

    static List<String> ids(IntPredicate p) {
        return IntStream.rangeClosed(1, POLICIES).filter(p).mapToObj(LargeStateTest::policyId).toList();
    }
}
