package dev.moratorium.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Costs as the state grows: for each size (10,000, 100,000 and 1,000,000 policies by default) a
 * fresh broker and database, the schema migrated by a first start of the packaged service, then the
 * state written straight with SQL (policies over 1,000 vendors and 10 products, every fifth with
 * an exemption, three history events per policy, a notification per policy, 10,000 rejections);
 * then a restart, timed to ready (the access index loads in chunks while readiness waits), idle
 * RSS, and the median and p99 of 200 sequential requests per read — a first page, a deep page by
 * cursor, filtered by vendor and by segment, a history, a notifications page and a rejections page
 * — and {@code /access} requests per second (a Java client, 4 threads, 10 s). The goal: every p99
 * at the largest size within 2x its p99 at the smallest and under 20 ms. One JSON line, last.
 */
public final class ScaleBenchmark {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int REQUESTS = Integer.getInteger("requests", 200);

    private ScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = Arrays.stream(System.getProperty("sizes", "10000,100000,1000000").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        Json machine = BenchEnv.machine();
        System.out.println("== scale: sizes " + sizes + ", " + REQUESTS + " requests per read; machine " + machine);
        Json out = new Json().put("benchmark", "scale").put("service_java_opts", BenchService.javaOpts());
        Map<String, Map<Integer, double[]>> p99s = new LinkedHashMap<>();
        long started = System.nanoTime();
        for (int size : sizes) {
            Json figures = new Json();
            try (BenchEnv env = BenchEnv.start()) {
                try (BenchService first = env.service("scale-migrate-" + size, Map.of())) {
                    first.start();
                    first.awaitReady(Duration.ofMinutes(3));
                }
                long populateMs = populate(env, size);
                long databaseMb;
                try (Connection c = env.jdbc()) {
                    databaseMb = env.count(c, "SELECT pg_database_size(current_database())") / 1_000_000;
                }
                BenchEnv.figure(size + " policies: written with SQL", populateMs + " ms; database " + databaseMb + " MB");
                figures.put("populate_ms", populateMs).put("database_mb", databaseMb);
                try (BenchService service = env.service("scale-" + size, Map.of())) {
                    service.start();
                    long ready = service.awaitReady(Duration.ofMinutes(10));
                    Thread.sleep(5_000);
                    long rssMb = Math.round(service.memoryKb()[0] * 1024 / 1e6);
                    BenchEnv.figure(size + " policies: ready after restart", ready + " ms; RSS idle " + rssMb + " MB");
                    figures.put("ready_ms", ready).put("rss_idle_mb", rssMb);
                    String index = service.get("/q/metrics").lines().filter(l -> l.startsWith("moratorium_index_policies"))
                            .findFirst().orElse("?");
                    BenchEnv.figure(size + " policies: access index", index);
                    double heapMb = service.get("/q/metrics").lines()
                            .filter(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\""))
                            .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum() / 1e6;
                    BenchEnv.figure(size + " policies: heap used", Math.round(heapMb) + " MB");
                    figures.put("heap_used_mb", Math.round(heapMb));
                    String deep = String.format("p-%07d", size * 9 / 10);
                    Map<String, String> reads = new LinkedHashMap<>();
                    reads.put("first_page", "/moratoria?size=50");
                    reads.put("deep_page_cursor", "/moratoria?size=50&after=" + deep);
                    reads.put("by_vendor", "/moratoria?size=50&vendor=vendor-0123");
                    reads.put("by_segment", "/moratoria?size=50&segment=journalists");
                    reads.put("history", "/moratoria/" + deep + "/history");
                    reads.put("notifications", "/notifications?limit=100&after=" + (size * 9L / 10));
                    reads.put("rejections", "/rejections?limit=100&after=5000");
                    reads.put("access", "/access?vendor=vendor-0123&product=product-3&segment=police&at=2025-01-01");
                    for (Map.Entry<String, String> read : reads.entrySet()) {
                        double[] ms = latencies(service.baseUrl() + read.getValue());
                        BenchEnv.figure(size + " policies: " + read.getKey(), String.format("median %.2f ms, p99 %.2f ms",
                                ms[0], ms[1]));
                        figures.put(read.getKey() + "_median_ms", Json.round(ms[0], 2))
                                .put(read.getKey() + "_p99_ms", Json.round(ms[1], 2));
                        p99s.computeIfAbsent(read.getKey(), k -> new LinkedHashMap<>()).put(size, ms);
                    }
                    double rps = accessPerSecond(service.baseUrl() + reads.get("access"));
                    BenchEnv.figure(size + " policies: /access", String.format("%.0f requests/s (4 threads)", rps));
                    figures.put("access_requests_per_s", Math.round(rps));
                }
            }
            out.put(String.valueOf(size), figures);
        }
        int smallest = sizes.get(0);
        int largest = sizes.get(sizes.size() - 1);
        Json ratios = new Json();
        boolean met = true;
        for (Map.Entry<String, Map<Integer, double[]>> e : p99s.entrySet()) {
            double ratio = e.getValue().get(largest)[1] / Math.max(0.01, e.getValue().get(smallest)[1]);
            ratios.put(e.getKey(), Json.round(ratio, 2));
            met &= ratio <= 2.0 && e.getValue().get(largest)[1] < 20.0;
        }
        out.put("p99_ratio_largest_vs_smallest", ratios).put("goal_met", met)
                .put("minutes", Json.round((System.nanoTime() - started) / 6e10, 1)).put("machine", machine);
        System.out.println(out);
    }

    /** The state of {@code size} policies, written in a few statements; returns how long it took. */
    private static long populate(BenchEnv env, int size) throws Exception {
        long t = System.nanoTime();
        try (Connection c = env.jdbc(); Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
            s.execute("INSERT INTO policy (policy_id, kind, vendor, product, vendor_key, product_key, segments,"
                    + " segment_keys, status, effective_from, effective_until, evaluated_at, next_due_at, created_at,"
                    + " updated_at) SELECT format('p-%s', lpad(g::text, 7, '0')), 'MORATORIUM',"
                    + " format('Vendor-%s', lpad((g % 1000)::text, 4, '0')), format('Product-%s', g % 10),"
                    + " format('vendor-%s', lpad((g % 1000)::text, 4, '0')), format('product-%s', g % 10),"
                    + " CASE WHEN g % 7 = 0 THEN '[\"journalists\"]'::jsonb ELSE '[\"police\"]'::jsonb END,"
                    + " CASE WHEN g % 7 = 0 THEN ARRAY['journalists'] ELSE ARRAY['police'] END, 'ACTIVE',"
                    + " timestamptz '2020-01-01' + (g % 365) * interval '1 day',"
                    + " timestamptz '2030-01-01' + (g % 365) * interval '1 day', now(),"
                    + " timestamptz '2029-12-01' + (g % 365) * interval '1 day', now(), now()"
                    + " FROM generate_series(1, " + size + ") g");
            s.execute("INSERT INTO exemption (policy_id, position, organization, organization_key, purpose, granted_at)"
                    + " SELECT format('p-%s', lpad(g::text, 7, '0')), 0, 'Thorn', 'thorn', 'finding missing children',"
                    + " timestamptz '2020-01-01' FROM generate_series(5, " + size + ", 5) g");
            s.execute("INSERT INTO policy_event (id, event_id, policy_id, type, source, event_time, data, received_at)"
                    + " SELECT nextval('policy_event_seq'), format('e-%s-%s', g, k), format('p-%s', lpad(g::text, 7, '0')),"
                    + " 'moratorium.announced', 'urn:bench', timestamptz '2020-01-01' + k * interval '1 day',"
                    + " '{\"policyId\":\"x\"}', now() FROM generate_series(1, " + size + ") g, generate_series(1, 3) k");
            s.execute("INSERT INTO notification (seq, notification_id, type, policy_id, occurred_at, created_at, payload)"
                    + " SELECT nextval('notification_seq'), format('n-%s', g), 'access.suspended',"
                    + " format('p-%s', lpad(g::text, 7, '0')), now(), now(), '{\"type\":\"access.suspended\"}'"
                    + " FROM generate_series(1, " + size + ") g");
            s.execute("INSERT INTO rejection (id, topic, kafka_partition, kafka_offset, record_value, headers, reason_code,"
                    + " reason_message, received_at, status) SELECT g, 'policy-changes', 99, g,"
                    + " convert_to(repeat('x', 4000), 'UTF8'), '[]', 'unknown-policy', 'no such policy', now(), 'OPEN'"
                    + " FROM generate_series(1, 10000) g");
            s.execute("ANALYZE");
        }
        return (System.nanoTime() - t) / 1_000_000;
    }

    /** Median and p99 in milliseconds of {@link #REQUESTS} sequential GETs, after 20 to warm up. */
    private static double[] latencies(String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 20; i++) {
            check(HTTP.send(request, HttpResponse.BodyHandlers.ofString()), url);
        }
        double[] ms = new double[REQUESTS];
        for (int i = 0; i < REQUESTS; i++) {
            long t = System.nanoTime();
            check(HTTP.send(request, HttpResponse.BodyHandlers.ofString()), url);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[ms.length / 2], ms[(int) Math.ceil(ms.length * 0.99) - 1]};
    }

    private static double accessPerSecond(String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long[] counts = new long[4];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            int n = i;
            Thread th = new Thread(() -> {
                try {
                    while (System.nanoTime() < deadline) {
                        HTTP.send(request, HttpResponse.BodyHandlers.discarding());
                        counts[n]++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        return Arrays.stream(counts).sum() / 10.0;
    }

    private static void check(HttpResponse<String> r, String url) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
        }
    }
}
