package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moratorium.gateway.MoratoriumGatewayClient;
import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.SeedStory;
import dev.moratorium.testing.TestKafka;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The gateway client (client/, its sources compiled into these tests) answers what {@code GET /access}
 * answers, over the real broker and database: the seed story and a random workload go through Kafka
 * into the service; the client follows the {@code moratorium-state} topic the service writes; then
 * 100,000 random questions are put to both — the client in-process, the service over HTTP — and
 * allowed, policyId, until and the reason must be equal.
 *
 * <p>What the state record cannot carry is left out as the client's documentation says
 * (docs/gateway-client.md): instants before the service clock's "now" on the random workload's
 * products, whose exemptions were granted and revoked at various times (the record lists only those
 * in force); and the reason words of a withdrawal that has not started yet. The seed story's and
 * DecisionsAsKnownTest's exemptions were all given at announcement, so their products are asked
 * about any instant. Same profile as DecisionsAsKnownTest (its clock starts on 2020-06-09), so
 * Quarkus starts the application once for both.
 */
@QuarkusTest
@TestProfile(DecisionsAsKnownTest.Profile.class)
class GatewayClientEquivalenceTest {

    private static final int QUESTIONS = 100_000;
    private static final int CONCURRENT = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant BASE = Instant.parse("2019-01-01T00:00:00Z");
    private static final String[] SEGMENTS = {"police", "military", "retail", "*"};
    private static final String[] ORGS = {"Thorn", "Marinus Analytics", "Acme", "thorn"};
    private static final String[] PLACES = {null, "US", "US-CA", "US-WA", "GB"};
    /** Products whose exemptions were all given at announcement: asked about past instants too. */
    private static final List<String[]> STORY_PRODUCTS = List.of(new String[] {"Amazon", "Rekognition"},
            new String[] {"IBM", "general-purpose face recognition"}, new String[] {"Microsoft", "Face API"},
            new String[] {"amazon", "REKOGNITION"});

    @Inject
    Clock clock;

    @Test
    void theClientAnswersWhatAccessAnswers() throws Exception {
        SplittableRandom random = new SplittableRandom(13);
        SeedStory.produce();
        Workload workload = Workload.random(random, 60);
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            for (String[] record : workload.records) {
                TestKafka.send(producer, "policy-changes", record[0], record[1].getBytes(StandardCharsets.UTF_8),
                        java.util.Map.of("content-type", "application/cloudevents+json"));
            }
        }
        Set<String> policies = new HashSet<>(workload.policyIds);
        policies.add(SeedStory.AMAZON);
        policies.add(SeedStory.IBM);

        try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                .bootstrapServers(TestKafka.bootstrapServers()).start()) {
            assertThat(client.awaitLoaded(Duration.ofSeconds(60))).isTrue();
            // every event accounted for (applied or rejected), then the client holds what the service holds
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> accountedFor(workload));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> policies.stream().allMatch(id -> sameState(client, id)));

            Instant now = clock.instant();
            List<Question> questions = new ArrayList<>(QUESTIONS);
            for (int i = 0; i < QUESTIONS; i++) {
                questions.add(Question.random(random, workload, now));
            }
            long started = System.nanoTime();
            List<String> mismatches = compare(client, workload, questions);
            long ms = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("gateway client vs GET /access: %,d questions compared in %,d ms, %d mismatches%n",
                    questions.size(), ms, mismatches.size());
            mismatches.stream().limit(20).forEach(m -> System.out.println("  mismatch: " + m));
            assertThat(mismatches).as("client answers differing from GET /access").isEmpty();
            assertThat(questions.stream().filter(q -> q.pastOnStory).count()).isGreaterThan(QUESTIONS / 20);
        }
    }

    /**
     * A few requests in flight over kept-alive HTTP/1.1 connections (java.net.http): the 100,000
     * answers take seconds, not the minutes one request at a time would.
     */
    private List<String> compare(MoratoriumGatewayClient client, Workload workload, List<Question> questions)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://localhost:" + RestAssured.port;
        ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger reasonsCompared = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < CONCURRENT; t++) {
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < questions.size(); i = next.getAndIncrement()) {
                        Question q = questions.get(i);
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + q.path()))
                                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            mismatches.add(q.path() + " -> HTTP " + response.statusCode() + " " + response.body());
                            continue;
                        }
                        JsonNode service = JSON.readTree(response.body());
                        AccessDecision local = client.decide(q.vendor, q.product, q.segment, q.organization,
                                q.jurisdiction, q.at);
                        boolean sameReason = Objects.equals(local.reason(), service.get("reason").asText());
                        boolean reasonCounts = !withdrawalNotStarted(client, workload, local.policyId());
                        if (reasonCounts) {
                            reasonsCompared.incrementAndGet();
                        }
                        if (local.allowed() != service.get("allowed").asBoolean()
                                || !Objects.equals(local.policyId(), text(service, "policyId"))
                                || !Objects.equals(local.until(), instant(service, "until"))
                                || (reasonCounts && !sameReason)) {
                            mismatches.add(q.path() + " -> service " + service + ", client " + local);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("reasons compared in %,d of them (the others: a withdrawal not started yet decided)%n",
                reasonsCompared.get());
        assertThat(reasonsCompared.get()).isGreaterThan(questions.size() * 2 / 3);
        return new ArrayList<>(mismatches);
    }

    /** The one documented difference in words: a withdrawal not started yet reads as a moratorium. */
    private static boolean withdrawalNotStarted(MoratoriumGatewayClient client, Workload workload, String policyId) {
        return policyId != null && workload.withdrawals.contains(policyId)
                && client.policy(policyId).map(p -> p.status() == PolicyStatus.SCHEDULED).orElse(false);
    }

    private static boolean accountedFor(Workload workload) {
        Set<String> seen = new HashSet<>();
        for (String id : workload.policyIds) {
            seen.addAll(given().get("/moratoria/" + id + "/history").then().extract().jsonPath().getList("id"));
        }
        seen.addAll(given().get("/rejections?limit=500").then().extract().jsonPath().getList("eventId"));
        return seen.containsAll(workload.eventIds);
    }

    /** The client's view of a policy has the fields the service answers for it (its state record's). */
    private static boolean sameState(MoratoriumGatewayClient client, String policyId) {
        var response = given().get("/moratoria/" + policyId).then().extract();
        if (response.statusCode() == 404) {
            return client.policy(policyId).isEmpty();
        }
        return client.policy(policyId).map(p -> p.status().name().equals(response.path("status"))
                && Objects.equals(Objects.toString(p.effectiveUntil(), null), response.path("effectiveUntil"))
                && p.exemptions().size() == response.jsonPath().getList("exemptions").size()).orElse(false);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant instant(JsonNode node, String field) {
        String t = text(node, field);
        return t == null ? null : Instant.parse(t);
    }

    private record Question(String vendor, String product, String segment, String organization, String jurisdiction,
            Instant at, boolean pastOnStory) {

        static Question random(SplittableRandom random, Workload workload, Instant now) {
            String segment = SEGMENTS[random.nextInt(SEGMENTS.length)];
            String organization = random.nextInt(3) == 0 ? null : ORGS[random.nextInt(ORGS.length)];
            String jurisdiction = PLACES[random.nextInt(PLACES.length)];
            if (random.nextInt(4) == 0) {
                String[] story = STORY_PRODUCTS.get(random.nextInt(STORY_PRODUCTS.size()));
                // any instant 2019..2023: the story's exemptions were given at announcement
                Instant at = BASE.plus(Duration.ofHours(random.nextInt(5 * 365 * 24)));
                return new Question(story[0], story[1], segment, organization, jurisdiction, at, at.isBefore(now));
            }
            String[] product = workload.products.get(random.nextInt(workload.products.size()));
            // from "now" on: the random workload's exemptions changed over time (see the class comment)
            Instant at = random.nextInt(10) == 0 ? now : now.plus(Duration.ofHours(random.nextInt(4 * 365 * 24)));
            String vendor = random.nextInt(10) == 0 ? product[0].toLowerCase() : product[0];
            return new Question(vendor, product[1], segment, organization, jurisdiction, at, false);
        }

        String path() {
            StringBuilder s = new StringBuilder("/access?vendor=").append(encode(vendor)).append("&product=")
                    .append(encode(product)).append("&segment=").append(encode(segment)).append("&at=").append(at);
            if (organization != null) {
                s.append("&organization=").append(encode(organization));
            }
            if (jurisdiction != null) {
                s.append("&jurisdiction=").append(jurisdiction);
            }
            return s.toString();
        }

        private static String encode(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
        }
    }

    /**
     * Random policies on a few products (several per product, so decisions have to choose among
     * them), each announced and then extended, lifted or given exemptions, all timed before the
     * service clock's start (2020-06-09) so the service applies them as of the past; some are
     * withdrawals, some have a jurisdiction. Dates fall on the first of a month, so ties between
     * policies (same start, same end) are common.
     */
    private record Workload(List<String[]> records, List<String> policyIds, List<String> eventIds,
            List<String[]> products, Set<String> withdrawals) {

        static Workload random(SplittableRandom random, int policies) {
            List<String[]> products = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                products.add(new String[] {"Vendor" + (i % 3), "Vision " + i});
            }
            List<String[]> records = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            List<String> eventIds = new ArrayList<>();
            Set<String> withdrawals = new HashSet<>();
            for (int n = 0; n < policies; n++) {
                String id = "eq-" + n;
                ids.add(id);
                String[] product = products.get(random.nextInt(products.size()));
                Instant from = month(random, 0, 60);
                Instant announced = Instant.parse("2019-01-01T00:00:00Z").plus(Duration.ofDays(random.nextInt(200)));
                List<String> events = new ArrayList<>();
                if (random.nextInt(10) == 0) {
                    withdrawals.add(id);
                    events.add(Events.timedEvent(id + "-0", "product.withdrawn", announced.toString(),
                            "{\"policyId\":\"" + id + "\",\"vendor\":\"" + product[0] + "\",\"product\":\""
                                    + product[1] + "\",\"effectiveFrom\":\"" + from + "\""
                                    + (random.nextBoolean() ? "" : ",\"segments\":[\"" + SEGMENTS[random.nextInt(3)]
                                            + "\"]") + "}"));
                } else {
                    Instant until = random.nextBoolean() ? null : from.plus(Duration.ofDays(31L * (1 + random.nextInt(24))));
                    String place = PLACES[random.nextInt(PLACES.length)];
                    events.add(Events.timedEvent(id + "-0", "moratorium.announced", announced.toString(),
                            "{\"policyId\":\"" + id + "\",\"vendor\":\"" + product[0] + "\",\"product\":\"" + product[1]
                                    + "\",\"segments\":[\"" + SEGMENTS[random.nextInt(3)] + "\"],\"effectiveFrom\":\""
                                    + from + "\",\"effectiveUntil\":" + (until == null ? "null" : "\"" + until + "\"")
                                    + (random.nextBoolean() ? ",\"exemptions\":[{\"organization\":\"Thorn\","
                                            + "\"purpose\":\"children\"}]" : "")
                                    + (place == null ? "" : ",\"jurisdiction\":\"" + place + "\"") + "}"));
                    Instant t = announced;
                    for (int e = 1; e < 1 + random.nextInt(5); e++) {
                        t = t.plus(Duration.ofDays(1 + random.nextInt(40)));
                        String org = ORGS[random.nextInt(3)];
                        String type;
                        String data;
                        switch (random.nextInt(4)) {
                            case 0 -> {
                                type = "moratorium.exemption-granted";
                                data = ",\"organization\":\"" + org + "\",\"purpose\":\"research\"";
                            }
                            case 1 -> {
                                type = "moratorium.exemption-revoked";
                                data = ",\"organization\":\"" + org + "\"";
                            }
                            case 2 -> {
                                type = "moratorium.extended";
                                Instant longer = month(random, 24, 60);
                                data = ",\"effectiveUntil\":" + (random.nextBoolean() ? "null" : "\"" + longer + "\"");
                            }
                            default -> {
                                type = "moratorium.lifted";
                                data = ",\"effectiveAt\":\"" + month(random, 10, 48) + "\"";
                            }
                        }
                        events.add(Events.timedEvent(id + "-" + e, type, t.toString(),
                                "{\"policyId\":\"" + id + "\"" + data + "}"));
                    }
                }
                for (int e = 0; e < events.size(); e++) {
                    records.add(new String[] {id, events.get(e)});
                    eventIds.add(id + "-" + e);
                }
            }
            return new Workload(records, ids, eventIds, products, withdrawals);
        }

        /** The first of a month, {@code min} to {@code max} months after 2019-01. */
        private static Instant month(SplittableRandom random, int min, int max) {
            return java.time.LocalDate.of(2019, 1, 1).plusMonths(min + random.nextInt(max - min))
                    .atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        }
    }
}
