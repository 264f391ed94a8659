package dev.moratorium.reliability;

import static dev.moratorium.reliability.RunSettings.READY;
import static dev.moratorium.reliability.RunSettings.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.testing.StandardWebhooksVerifier;
import dev.moratorium.testing.StandardWebhooksVerifier.Signed;
import dev.moratorium.testing.TestTokens;
import dev.moratorium.wire.WireJson;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Webhook delivery against the packaged service, a real broker and a real PostgreSQL: subscribed
 * through the HTTP API, received by real HTTP receivers that record every request and check every
 * signature. A SIGKILL while a delivery is in flight loses nothing and resends with the same
 * {@code webhook-id} and body; two replicas on one database deliver every notification exactly once.
 */
class WebhookCrashIT {

    private static final Duration ALL_DELIVERED = Duration.ofSeconds(120);

    /** A notification as the service stored it: what every subscriber must receive, byte for byte. */
    private record Row(long seq, String id, String type, String policyId, String causedBy, String payload) {
    }

    private record Subscriber(String name, String path, String id, String secret) {
    }

    @Test
    void sigkillWhileADeliveryIsInFlightLosesNothingAndResendsWithTheSameIdAndBody() throws Exception {
        long started = System.nanoTime();
        Workload w = Workload.generate(300, 30, SEED, "webhook-crash");
        KeyPair keys = TestTokens.generateKeyPair();
        Map<String, String> env = new HashMap<>(SubscriptionsClient.env(keys));
        // A killed worker's lease must run out before another worker takes its subscription (60 s by
        // default); 4 s here so the restarted service resumes at once. It must be longer than the connect
        // and request timeouts together, or the service does not start.
        env.put("MORATORIUM_WEBHOOKS_CONNECT_TIMEOUT", "500ms");
        env.put("MORATORIUM_WEBHOOKS_REQUEST_TIMEOUT", "3s");
        env.put("MORATORIUM_WEBHOOKS_LEASE", "4s");
        try (Harness h = new Harness(3); RecordingReceiver receiver = new RecordingReceiver(Duration.ofMillis(10))) {
            ServiceProcess service = h.service("webhook-crash", h.postgres.jdbcUrl(), env);
            try {
                service.start();
                service.awaitReady(READY);
                SubscriptionsClient api = SubscriptionsClient.of(service, keys);
                Subscriber all = subscribe(api, receiver, "all", "[]");
                Subscriber grants = subscribe(api, receiver, "grants", "[\"exemption.granted\"]");
                // Paused while the events are ingested, so that the kill falls on deliveries and not on
                // ingest: a consumer killed mid-batch is ReliabilityIT's subject, and after a kill its
                // group waits out the session timeout (45 s) before ingest resumes.
                for (Subscriber s : List.of(all, grants)) {
                    api.patch(s.id(), "{\"paused\":true}");
                }
                h.produce(w.records);
                h.awaitCaughtUp(w, Duration.ofMinutes(2));
                List<Row> rows = rows(h);
                assertStoredAsTheWorkloadSays(w, rows);
                List<Row> grantRows = rows.stream().filter(r -> r.type().equals("exemption.granted")).toList();

                // The receiver holds one request to "all" unanswered: the kill certainly falls inside a delivery.
                RecordingReceiver.Hold hold = receiver.hold(all.path(), rows.size() / 3);
                for (Subscriber s : List.of(all, grants)) {
                    api.patch(s.id(), "{\"paused\":false}");
                }
                RecordingReceiver.Request inFlight = hold.awaitArrived(ALL_DELIVERED);
                service.kill();
                int receivedBeforeKill = receiver.requests(all.path()).size() + receiver.requests(grants.path()).size();
                hold.release();

                service.start();
                service.awaitReady(READY);
                long restartedAt = System.nanoTime();
                awaitDelivered(api, rows.get(rows.size() - 1).seq(), all, grants);
                double resumeSeconds = (System.nanoTime() - restartedAt) / 1e9;

                int duplicatesAll = check(all, rows, receiver.requests(all.path()), false);
                int duplicatesGrants = check(grants, grantRows, receiver.requests(grants.path()), false);
                List<RecordingReceiver.Request> copies = receiver.requests(all.path()).stream()
                        .filter(r -> r.webhookId().equals(inFlight.webhookId())).toList();
                assertThat(copies).as("the delivery in flight at the kill is sent again after the restart").hasSizeGreaterThan(1);
                assertThat(copies.get(copies.size() - 1).answered).isEqualTo(200);
                assertThat(copies).allSatisfy(c -> assertThat(c.body).isEqualTo(inFlight.body));

                System.out.printf("reliability webhook crash (seed %d): %d notifications (%d to the filtered"
                        + " subscriber); SIGKILL with delivery %s in flight after %d requests; all delivered %.1f s"
                        + " after the restart was ready (lease 4 s); lost 0; duplicates after the crash: %d to 'all',"
                        + " %d to 'grants' (at least once: allowed after a crash); wall time %.0f s%n", SEED,
                        rows.size(), grantRows.size(), inFlight.webhookId(), receivedBeforeKill, resumeSeconds,
                        duplicatesAll, duplicatesGrants, (System.nanoTime() - started) / 1e9);
                service.terminate(Duration.ofSeconds(20));
            } finally {
                if (service.isAlive()) {
                    service.kill(); // a failed check must not leave the service running after the test
                }
            }
        }
    }

    @Test
    void twoReplicasOnOneDatabaseDeliverEveryNotificationExactlyOnce() throws Exception {
        long started = System.nanoTime();
        Workload w = Workload.generate(300, 30, SEED + 1, "webhook-replicas");
        KeyPair keys = TestTokens.generateKeyPair();
        // production settings otherwise: the normal operation whose promise is "no double delivery"
        Map<String, String> env = SubscriptionsClient.env(keys);
        try (Harness h = new Harness(3); RecordingReceiver receiver = new RecordingReceiver(Duration.ofMillis(5))) {
            ServiceProcess a = h.service("webhook-replica-a", h.postgres.jdbcUrl(), env);
            ServiceProcess b = h.service("webhook-replica-b", h.postgres.jdbcUrl(), env);
            try {
                a.start();
                b.start();
                a.awaitReady(READY);
                b.awaitReady(READY);
                SubscriptionsClient api = SubscriptionsClient.of(a, keys);
                // more subscribers than one replica has delivery workers (4), so both replicas deliver at once
                List<Subscriber> subscribers = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    subscribers.add(subscribe(api, receiver, "s" + i, "[]"));
                }
                h.produce(w.records);
                h.awaitCaughtUp(w, Duration.ofMinutes(2));
                List<Row> rows = rows(h);
                assertStoredAsTheWorkloadSays(w, rows);
                awaitDelivered(api, rows.get(rows.size() - 1).seq(), subscribers.toArray(Subscriber[]::new));

                for (Subscriber s : subscribers) {
                    assertThat(check(s, rows, receiver.requests(s.path()), true)).as(s.name() + " duplicates").isZero();
                }
                long logged = h.count("SELECT count(*) FROM webhook_delivery WHERE status_code = 200");
                long failedAttempts = h.count("SELECT count(*) FROM webhook_delivery WHERE status_code IS DISTINCT FROM 200");
                assertThat(logged).as("successful attempts in the delivery log").isEqualTo((long) rows.size() * subscribers.size());
                double byA = a.metric("moratorium_webhook_deliveries_total");
                double byB = b.metric("moratorium_webhook_deliveries_total");
                System.out.printf("reliability webhook replicas (seed %d): %d notifications x %d subscribers delivered"
                        + " exactly once each; replica a made %.0f attempts, replica b %.0f; failed attempts %d;"
                        + " duplicates 0; lost 0; wall time %.0f s%n", SEED + 1, rows.size(), subscribers.size(), byA, byB,
                        failedAttempts, (System.nanoTime() - started) / 1e9);
                // both took part: otherwise this would be a one-replica test
                assertThat(byA).as("deliveries by replica a").isPositive();
                assertThat(byB).as("deliveries by replica b").isPositive();
                a.terminate(Duration.ofSeconds(20));
                b.terminate(Duration.ofSeconds(20));
            } finally {
                for (ServiceProcess s : List.of(a, b)) {
                    if (s.isAlive()) {
                        s.kill();
                    }
                }
            }
        }
    }

    private static Subscriber subscribe(SubscriptionsClient api, RecordingReceiver receiver, String name, String types)
            throws Exception {
        String path = "/" + name;
        JsonNode created = api.subscribe("{\"url\":\"" + receiver.url(path) + "\",\"types\":" + types
                + ",\"description\":\"" + name + "\"}");
        assertThat(created.get("deliveredUpTo").asLong()).as("subscribed before any notification").isZero();
        return new Subscriber(name, path, created.get("id").asText(), created.get("secret").asText());
    }

    /** Until every subscriber's cursor reached {@code head}: everything delivered, nothing more will be sent. */
    private static void awaitDelivered(SubscriptionsClient api, long head, Subscriber... subscribers) throws Exception {
        long deadline = System.nanoTime() + ALL_DELIVERED.toNanos();
        for (Subscriber s : subscribers) {
            while (true) {
                JsonNode state = api.get(s.id());
                if (state.get("deliveredUpTo").asLong() >= head) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(s.name() + " not delivered up to " + head + " within " + ALL_DELIVERED
                            + ": " + state);
                }
                Thread.sleep(200);
            }
        }
    }

    /**
     * What one subscriber received against what it must: only notifications it subscribed to, each
     * with the stored body under its own id; every one answered 2xx at least once (exactly once, and
     * nothing else sent, when {@code exactlyOnce}); first deliveries in sequence order, so each
     * policy's in its order; every signature valid. Returns how many requests repeated an id.
     */
    private static int check(Subscriber s, List<Row> expected, List<RecordingReceiver.Request> requests,
            boolean exactlyOnce) {
        Map<String, Row> byId = expected.stream().collect(Collectors.toMap(Row::id, r -> r));
        Map<String, Integer> copies = new HashMap<>();
        Set<String> answered = new LinkedHashSet<>();
        List<String> firstArrivals = new ArrayList<>();
        for (RecordingReceiver.Request r : requests) {
            Row row = byId.get(r.webhookId());
            assertThat(row).as(s.name() + " received " + r.webhookId() + ", not one of its notifications").isNotNull();
            // same id, same body: the body is the stored notification itself, on every copy
            assertThat(r.body).as(s.name() + " body of " + r.webhookId()).isEqualTo(row.payload());
            if (copies.merge(r.webhookId(), 1, Integer::sum) == 1) {
                firstArrivals.add(r.webhookId());
            }
            if (r.answered == 200) {
                answered.add(r.webhookId());
            }
        }
        assertThat(byId.keySet().stream().filter(id -> !answered.contains(id)).toList())
                .as(s.name() + ": notifications never delivered").isEmpty();
        assertThat(firstArrivals).as(s.name() + ": first deliveries in sequence order")
                .containsExactlyElementsOf(expected.stream().map(Row::id).toList());
        Map<String, List<String>> perPolicy = new LinkedHashMap<>();
        for (String id : firstArrivals) {
            perPolicy.computeIfAbsent(byId.get(id).policyId(), p -> new ArrayList<>()).add(byId.get(id).causedBy());
        }
        expected.stream().collect(Collectors.groupingBy(Row::policyId, LinkedHashMap::new,
                Collectors.mapping(Row::causedBy, Collectors.toList()))).forEach((policy, events) ->
                        assertThat(perPolicy.get(policy)).as(s.name() + ": " + policy + " in order").isEqualTo(events));
        if (exactlyOnce) {
            assertThat(requests).as(s.name() + ": one request per notification").hasSize(expected.size());
        }
        StandardWebhooksVerifier.Verdict verdict = StandardWebhooksVerifier.verify(
                requests.stream().map(r -> new Signed(s.secret(), r.received())).toList());
        assertThat(verdict.exitCode()).as(s.name() + " signatures:\n" + tail(verdict.output())).isZero();
        return requests.size() - copies.size();
    }

    /** The notifications are exactly the workload's, each policy's in the order its events were produced. */
    private static void assertStoredAsTheWorkloadSays(Workload w, List<Row> rows) {
        assertThat(rows.stream().map(Row::id).collect(Collectors.toSet())).isEqualTo(w.expectedNotifications.keySet());
        Map<String, List<String>> stored = rows.stream().collect(Collectors.groupingBy(Row::policyId,
                Collectors.mapping(Row::causedBy, Collectors.toList())));
        w.policies.forEach((policy, expected) -> assertThat(stored.get(policy)).as(policy)
                .isEqualTo(expected.appliedEventIds));
    }

    private static List<Row> rows(Harness h) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(h.postgres.jdbcUrl()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT seq, notification_id, type, policy_id, payload::text"
                        + " FROM notification ORDER BY seq")) {
            while (rs.next()) {
                String payload = rs.getString(5);
                rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        WireJson.parse(payload).get("causedBy").asText(), payload));
            }
        }
        return rows;
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 20), lines.length));
    }
}
