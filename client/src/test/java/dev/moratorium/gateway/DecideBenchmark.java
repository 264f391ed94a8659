package dev.moratorium.gateway;

import dev.moratorium.policy.AccessDecision;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How long one in-process decision takes with 20,000 policies in the view (goal: at most 1 µs).
 * The policies and the request mix are those of the service's decisions benchmark
 * (BenchWorkload, bench/access.lua): policy n on Vendor(n % 1000) / Product(n / 1000), police
 * (and military for odd n), 2026-01-01 to 2040-01-01, Thorn exempt, jurisdiction US, and for every
 * fourth n a 2020 moratorium too; requests 40 % hits, 25 % unknown products, 20 % with an
 * organization, 15 % about 2020/2021, a tenth in lower case, half with a jurisdiction.
 *
 * <p>Not JMH, but its method: the requests are built before timing (a gateway has them as
 * strings), a warm-up long enough for C2, then rounds of a million decisions, each result consumed,
 * and the median round reported. A benchmark, not a test (run by {@code bench/client-decide}): a
 * time asserted in the build would fail on a busy machine or pass on a slow one, so it prints its
 * figures and, last, one JSON line, like the service's benchmarks.
 */
public final class DecideBenchmark {

    private static final int POLICIES = 20_000;
    private static final int ROUND = 1_000_000;

    private record Request(String vendor, String product, String segment, String organization, String jurisdiction,
            Instant at) {
    }

    private DecideBenchmark() {
    }

    public static void main(String[] args) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Instant now = Instant.parse("2026-12-01T00:00:00Z");
        MoratoriumGatewayClient client = MoratoriumGatewayClient.offline(Clock.systemUTC());
        for (int n = 0; n < POLICIES; n++) {
            client.apply("p" + n, state("p" + n, n, "2026-01-01T00:00:00Z", "\"2040-01-01T00:00:00Z\""));
            if (n % 4 == 0) {
                client.apply("p" + n + "-2020", state("p" + n + "-2020", n, "2020-06-10T00:00:00Z",
                        "\"2021-06-10T00:00:00Z\""));
            }
        }
        if (client.staleness().policies() != POLICIES + POLICIES / 4) {
            throw new IllegalStateException("the view holds " + client.staleness().policies() + " policies, not "
                    + (POLICIES + POLICIES / 4));
        }

        Request[] requests = requests(now, 1 << 14);
        long sink = 0;
        long warmUpEnd = System.nanoTime() + 3_000_000_000L;
        for (int i = 0; System.nanoTime() < warmUpEnd; i++) {
            sink += consume(decide(client, requests[i & (requests.length - 1)]));
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] nsPerDecision = new double[7];
        double[] cpuNsPerDecision = new double[nsPerDecision.length];
        for (int round = 0; round < nsPerDecision.length; round++) {
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < ROUND; i++) {
                sink += consume(decide(client, requests[i & (requests.length - 1)]));
            }
            cpuNsPerDecision[round] = (threads.getCurrentThreadCpuTime() - cpuStart) / (double) ROUND;
            nsPerDecision[round] = (System.nanoTime() - start) / (double) ROUND;
        }
        Arrays.sort(nsPerDecision);
        Arrays.sort(cpuNsPerDecision);
        double wall = nsPerDecision[nsPerDecision.length / 2];
        double cpu = cpuNsPerDecision[cpuNsPerDecision.length / 2];
        double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        // On a shared machine wall time includes waiting for a core; the thread's CPU time does not.
        System.out.printf("decide at %,d policies: %.0f ns per decision on the thread's CPU time, %.0f ns wall"
                + " (medians of %d rounds of %,d; CPU best %.0f, worst %.0f; %d cores, load %.1f to %.1f)%n",
                POLICIES, cpu, wall, nsPerDecision.length, ROUND, cpuNsPerDecision[0],
                cpuNsPerDecision[cpuNsPerDecision.length - 1], cores, load, loadAtEnd);
        // The sum of all results, printed so that no decision is dead code to the JIT.
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"client-decide\",\"policies\":%d,\"policies_2020\":%d,\"cpu_ns_per_decision\":%.0f,"
                + "\"cpu_ns_best\":%.0f,\"cpu_ns_worst\":%.0f,\"wall_ns_per_decision\":%.0f,\"rounds\":%d,"
                + "\"decisions_per_round\":%d,\"target_cpu_1us_met\":%b,\"checksum\":%d,\"machine\":{\"nproc\":%d,"
                + "\"load_at_start\":%.2f,\"load_at_end\":%.2f}}%n", POLICIES, POLICIES / 4, cpu, cpuNsPerDecision[0],
                cpuNsPerDecision[cpuNsPerDecision.length - 1], wall, nsPerDecision.length, ROUND, cpu <= 1000, sink,
                cores, load, loadAtEnd);
    }

    private static AccessDecision decide(MoratoriumGatewayClient client, Request r) {
        return client.decide(r.vendor, r.product, r.segment, r.organization, r.jurisdiction, r.at);
    }

    private static long consume(AccessDecision d) {
        return (d.allowed() ? 1 : 2) + d.reason().length();
    }

    private static Request[] requests(Instant now, int count) {
        SplittableRandom random = new SplittableRandom(42);
        Request[] requests = new Request[count];
        for (int i = 0; i < count; i++) {
            int r = random.nextInt(100);
            int n = random.nextInt(POLICIES);
            boolean lower = random.nextInt(10) == 0;
            String vendor = lower ? "vendor" + (n % 1000) : "Vendor" + (n % 1000);
            String product = lower ? "product" + (n / 1000) : "Product" + (n / 1000);
            String organization = null;
            Instant at = now;
            if (r >= 40 && r < 65) {
                product = "Unknown" + n;
            } else if (r >= 65 && r < 85) {
                organization = r < 77 ? "Thorn" : "Acme";
            } else if (r >= 85) {
                at = Instant.parse(r < 92 ? "2020-12-01T00:00:00Z" : "2021-03-15T12:30:00Z");
            }
            String jurisdiction = random.nextBoolean() ? null : (random.nextBoolean() ? "US" : "US-CA");
            requests[i] = new Request(vendor, product, "police", organization, jurisdiction, at);
        }
        return requests;
    }

    private static byte[] state(String id, int n, String from, String until) {
        String segments = n % 2 == 0 ? "[\"police\"]" : "[\"police\",\"military\"]";
        return ("{\"policyId\":\"" + id + "\",\"vendor\":\"Vendor" + (n % 1000) + "\",\"product\":\"Product" + (n / 1000)
                + "\",\"segments\":" + segments + ",\"status\":\"ACTIVE\",\"effectiveFrom\":\"" + from
                + "\",\"effectiveUntil\":" + until + ",\"exemptions\":[{\"organization\":\"Thorn\","
                + "\"purpose\":\"finding missing children\"}],\"jurisdiction\":\"US\"}").getBytes(StandardCharsets.UTF_8);
    }
}
