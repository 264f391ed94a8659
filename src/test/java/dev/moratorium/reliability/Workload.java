package dev.moratorium.reliability;

import dev.moratorium.policy.NotificationIds;
import dev.moratorium.policy.NotificationType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic stream of policy-change records over many policies — announcements, extensions,
 * exemptions granted and revoked, lifts, duplicates and bad records — together with what it must
 * lead to. The expectations are this class's own bookkeeping, written while generating (each
 * event is made valid or invalid on purpose), not derived from the service's domain code.
 */
final class Workload {

    /** One record to produce. {@code headers} is the content type of a structured CloudEvent unless binary. */
    record Rec(String key, byte[] value, String expectation) {
    }

    /** What one policy must end as. */
    static final class Expected {
        final List<String> appliedEventIds = new ArrayList<>();
        String status = "ACTIVE";
        String until;
        final Set<String> exemptions = new LinkedHashSet<>();
    }

    final List<Rec> records = new ArrayList<>();
    final Map<String, Expected> policies = new LinkedHashMap<>();
    /** notificationId → the event it reports; every one must reach moratorium-notifications. */
    final Map<String, String> expectedNotifications = new HashMap<>();
    final Map<String, Integer> expectedRejections = new LinkedHashMap<>();
    int duplicates;
    int applied;

    private final Random random;
    private final String runId;

    private Workload(long seed, String runId) {
        this.random = new Random(seed);
        this.runId = runId;
    }

    /**
     * @param events   about how many records in all
     * @param policies over how many policies
     */
    static Workload generate(int events, int policies, long seed, String runId) {
        Workload w = new Workload(seed, runId);
        w.build(events, policies);
        return w;
    }

    private void build(int events, int policyCount) {
        // Each policy gets a script; scripts are interleaved at random, keeping each policy's order.
        List<List<Rec>> scripts = new ArrayList<>();
        int perPolicy = Math.max(2, events / policyCount);
        for (int p = 0; p < policyCount; p++) {
            scripts.add(script(runId + "-p" + p, perPolicy));
        }
        int[] next = new int[scripts.size()];
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < scripts.size(); i++) {
            open.add(i);
        }
        while (!open.isEmpty()) {
            int pick = random.nextInt(open.size());
            int s = open.get(pick);
            records.add(scripts.get(s).get(next[s]++));
            if (next[s] == scripts.get(s).size()) {
                open.remove(pick);
            }
        }
    }

    private List<Rec> script(String policyId, int length) {
        List<Rec> script = new ArrayList<>();
        Expected expected = new Expected();
        policies.put(policyId, expected);
        int year = 2040;
        expected.until = year + "-01-01T00:00:00Z";
        String announceId = policyId + "-e0";
        Rec announce = structured(policyId, announceId, "moratorium.announced", "{\"policyId\":\"" + policyId
                + "\",\"vendor\":\"Vendor" + (policyId.hashCode() & 15) + "\",\"product\":\"Product\",\"segments\":"
                + "[\"police\"],\"effectiveFrom\":\"2026-01-01\",\"effectiveUntil\":\"" + year + "-01-01\"}");
        script.add(applied(expected, announce, announceId, NotificationType.ACCESS_SUSPENDED));
        int orgs = 0;
        boolean lifted = false;
        for (int i = 1; i < length && !lifted; i++) {
            String id = policyId + "-e" + i;
            int roll = random.nextInt(100);
            if (roll < 5) {
                script.add(duplicateOf(script));
            } else if (roll < 9) {
                script.add(bad(policyId, id));
            } else if (roll < 30) {
                year += 1 + random.nextInt(3);
                expected.until = year + "-01-01T00:00:00Z";
                script.add(applied(expected, structured(policyId, id, "moratorium.extended", "{\"policyId\":\""
                        + policyId + "\",\"effectiveUntil\":\"" + year + "-01-01\"}"), id,
                        NotificationType.SUSPENSION_EXTENDED));
            } else if (roll < 60 || expected.exemptions.isEmpty()) {
                String org = "Org " + (orgs++);
                expected.exemptions.add(org);
                script.add(applied(expected, structured(policyId, id, "moratorium.exemption-granted",
                        "{\"policyId\":\"" + policyId + "\",\"organization\":\"" + org + "\",\"purpose\":\"p\"}"), id,
                        NotificationType.EXEMPTION_GRANTED));
            } else if (roll < 90 || i < length - 1) {
                String org = expected.exemptions.iterator().next();
                expected.exemptions.remove(org);
                script.add(applied(expected, structured(policyId, id, "moratorium.exemption-revoked",
                        "{\"policyId\":\"" + policyId + "\",\"organization\":\"" + org + "\"}"), id,
                        NotificationType.EXEMPTION_REVOKED));
            } else if (i == length - 1) {
                // only a script's last event may lift, so every script has its full length
                lifted = true;
                expected.status = "LIFTED";
                expected.until = "2026-06-01T00:00:00Z";
                script.add(applied(expected, structured(policyId, id, "moratorium.lifted", "{\"policyId\":\""
                        + policyId + "\",\"effectiveAt\":\"2026-06-01\"}"), id, NotificationType.ACCESS_RESTORED));
            }
        }
        if (lifted && random.nextBoolean()) {
            // acting on a lifted policy is rejected
            String id = policyId + "-late";
            script.add(expectRejected(structured(policyId, id, "moratorium.exemption-granted",
                    "{\"policyId\":\"" + policyId + "\",\"organization\":\"Late\"}"), "policy-closed"));
        }
        return script;
    }

    private Rec applied(Expected expected, Rec rec, String eventId, NotificationType type) {
        expected.appliedEventIds.add(eventId);
        expectedNotifications.put(NotificationIds.causedByEvent(eventId, type), eventId);
        applied++;
        return new Rec(rec.key(), rec.value(), "applied");
    }

    private Rec duplicateOf(List<Rec> script) {
        Rec earlier = script.get(random.nextInt(script.size()));
        if (!earlier.expectation().equals("applied")) {
            earlier = script.get(0);
        }
        duplicates++;
        return new Rec(earlier.key(), earlier.value(), "duplicate");
    }

    private Rec bad(String policyId, String id) {
        return switch (random.nextInt(4)) {
            case 0 -> expectRejected(new Rec(policyId, ("{\"specversion\":\"1.0\",\"id\":\"" + id)
                    .getBytes(StandardCharsets.UTF_8), ""), "malformed-json");
            case 1 -> expectRejected(structured("ghost-" + id, id, "moratorium.extended",
                    "{\"policyId\":\"ghost-" + id + "\",\"effectiveUntil\":null}"), "unknown-policy");
            case 2 -> expectRejected(structured(policyId + "-wrong", id, "moratorium.extended",
                    "{\"policyId\":\"" + policyId + "\",\"effectiveUntil\":null}"), "key-mismatch");
            default -> expectRejected(structured(policyId, id, "moratorium.extended",
                    "{\"policyId\":\"" + policyId + "\",\"effectiveUntil\":\"2030-01-01\"}"), "not-an-extension");
        };
    }

    private Rec expectRejected(Rec rec, String reason) {
        expectedRejections.merge(reason, 1, Integer::sum);
        return new Rec(rec.key(), rec.value(), "rejected:" + reason);
    }

    private static Rec structured(String key, String id, String type, String data) {
        String value = "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type
                + "\",\"source\":\"urn:reliability\",\"time\":\"2026-03-01T00:00:00Z\",\"data\":" + data + "}";
        return new Rec(key, value.getBytes(StandardCharsets.UTF_8), "");
    }

    /** Two workloads sent one after the other (with {@code extraApplied} more events applied besides). */
    static Workload merge(Workload a, Workload b, int extraApplied) {
        Workload m = new Workload(0, a.runId + "+" + b.runId);
        m.records.addAll(a.records);
        m.records.addAll(b.records);
        m.policies.putAll(a.policies);
        m.policies.putAll(b.policies);
        m.expectedNotifications.putAll(a.expectedNotifications);
        m.expectedNotifications.putAll(b.expectedNotifications);
        a.expectedRejections.forEach((k, v) -> m.expectedRejections.merge(k, v, Integer::sum));
        b.expectedRejections.forEach((k, v) -> m.expectedRejections.merge(k, v, Integer::sum));
        m.duplicates = a.duplicates + b.duplicates;
        m.applied = a.applied + b.applied + extraApplied;
        m.extraNotificationsAllowed = true;
        return m;
    }

    /** Notifications outside this workload's bookkeeping (e.g. time-driven ones) may be on the topic. */
    boolean extraNotificationsAllowed;

    int rejected() {
        return expectedRejections.values().stream().mapToInt(Integer::intValue).sum();
    }
}
