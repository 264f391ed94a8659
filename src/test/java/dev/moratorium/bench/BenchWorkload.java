package dev.moratorium.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic streams of valid structured CloudEvents for the benchmarks (after
 * reliability/Workload, without its bad records and duplicates: every record here is applied, and
 * in the ingest stream each yields exactly one notification and one state record, so "applied" and
 * "published" can be counted exactly).
 *
 * <p>Policy {@code n} is {@code bench-n} on vendor {@code Vendor(n % 1000)}, product
 * {@code Product(n / 1000)}, for segment police (odd n: police and military), with Thorn exempt
 * from the start; {@code bench/access.lua} builds its requests from the same scheme.
 */
final class BenchWorkload {

    record Rec(String key, byte[] value, String eventId) {
    }

    private BenchWorkload() {
    }

    static String policyId(int n) {
        return "bench-" + n;
    }

    static String vendor(int n) {
        return "Vendor" + (n % 1000);
    }

    static String product(int n) {
        return "Product" + (n / 1000);
    }

    /**
     * {@code events} records over {@code policies} policies: each policy's announcement, then
     * extensions (25 %), exemptions granted (40 %) and revoked (35 %), the policies' scripts
     * interleaved at random, each keeping its own order.
     */
    static List<Rec> ingest(int events, int policies, long seed) {
        return ingest(events, policies, seed, 0);
    }

    /** As {@link #ingest(int, int, long)}, numbering policies from {@code firstPolicy} (to add to earlier ones). */
    static List<Rec> ingest(int events, int policies, long seed, int firstPolicy) {
        Random random = new Random(seed);
        List<List<Rec>> scripts = new ArrayList<>(policies);
        for (int p = 0; p < policies; p++) {
            int length = events / policies + (p < events % policies ? 1 : 0);
            scripts.add(script(firstPolicy + p, length, random));
        }
        List<Rec> records = new ArrayList<>(events);
        int[] next = new int[policies];
        int[] open = new int[policies];
        for (int i = 0; i < policies; i++) {
            open[i] = i;
        }
        int openCount = policies;
        while (openCount > 0) {
            int pick = random.nextInt(openCount);
            int s = open[pick];
            records.add(scripts.get(s).get(next[s]++));
            if (next[s] == scripts.get(s).size()) {
                open[pick] = open[--openCount];
            }
        }
        return records;
    }

    /**
     * For the access decisions: one moratorium in force on each of {@code policies} products (Thorn
     * exempt), and on every fourth product also one that ran from 2020-06-10 to 2021-06-10.
     */
    static List<Rec> decisions(int policies) {
        List<Rec> records = new ArrayList<>();
        for (int n = 0; n < policies; n++) {
            records.add(announce(n, policyId(n), "2026-01-01", "2040-01-01"));
            if (n % 4 == 0) {
                records.add(announce(n, policyId(n) + "-2020", "2020-06-10", "2021-06-10"));
            }
        }
        return records;
    }

    private static List<Rec> script(int n, int length, Random random) {
        List<Rec> script = new ArrayList<>(length);
        String policyId = policyId(n);
        script.add(announce(n, policyId, "2026-01-01", "2040-01-01"));
        int year = 2040;
        int orgs = 0;
        List<String> held = new ArrayList<>();
        for (int i = 1; i < length; i++) {
            String id = policyId + "-e" + i;
            int roll = random.nextInt(100);
            if (roll < 25) {
                year += 1 + random.nextInt(3);
                script.add(structured(policyId, id, "moratorium.extended",
                        "{\"policyId\":\"" + policyId + "\",\"effectiveUntil\":\"" + year + "-01-01\"}"));
            } else if (roll < 65 || held.isEmpty()) {
                String org = "Org " + (orgs++);
                held.add(org);
                script.add(structured(policyId, id, "moratorium.exemption-granted", "{\"policyId\":\"" + policyId
                        + "\",\"organization\":\"" + org + "\",\"purpose\":\"research\"}"));
            } else {
                String org = held.remove(random.nextInt(held.size()));
                script.add(structured(policyId, id, "moratorium.exemption-revoked", "{\"policyId\":\"" + policyId
                        + "\",\"organization\":\"" + org + "\",\"reason\":\"ended\"}"));
            }
        }
        return script;
    }

    private static Rec announce(int n, String policyId, String from, String until) {
        String segments = n % 2 == 0 ? "[\"police\"]" : "[\"police\",\"military\"]";
        return structured(policyId, policyId + "-e0", "moratorium.announced", "{\"policyId\":\"" + policyId
                + "\",\"vendor\":\"" + vendor(n) + "\",\"product\":\"" + product(n) + "\",\"segments\":" + segments
                + ",\"effectiveFrom\":\"" + from + "\",\"effectiveUntil\":\"" + until + "\",\"jurisdiction\":\"US\","
                + "\"exemptions\":[{\"organization\":\"Thorn\",\"purpose\":\"finding missing children\"}],"
                + "\"reason\":\"benchmark\",\"sourceUrl\":\"https://example.org/" + policyId + "\"}");
    }

    private static Rec structured(String key, String id, String type, String data) {
        String value = "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type
                + "\",\"source\":\"urn:bench\",\"time\":\"2026-03-01T00:00:00Z\",\"data\":" + data + "}";
        return new Rec(key, value.getBytes(StandardCharsets.UTF_8), id);
    }
}
