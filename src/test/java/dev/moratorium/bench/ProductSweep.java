package dev.moratorium.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request for each policy's product ({@link BenchWorkload#decisions}: policy n on vendor
 * {@code n % 1000}, product {@code n / 1000}), from a few client threads, each taking the next
 * product until all are asked. bench/decisions warms the as-of path with it: that path reads a
 * product's history from the database the first time it is asked, and a timed warm-up of random
 * requests leaves part of the products unread on a slower machine (10 s of the mix at 1,665 req/s
 * asked 57 % of them), so the first measured round still paid for the rest. A sweep ends when every
 * product was asked once, whatever the machine's speed; its rate and latencies are the cold figures.
 */
final class ProductSweep {

    private ProductSweep() {
    }

    /** @param query appended to each product's {@code /access} request, e.g. {@code &asOf=2026-03-02} */
    static Wrk.Result run(String baseUrl, int policies, String query, int clients) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        AtomicInteger next = new AtomicInteger();
        long[] nanos = new long[policies];
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    for (int n = next.getAndIncrement(); n < policies; n = next.getAndIncrement()) {
                        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/access?vendor="
                                + BenchWorkload.vendor(n) + "&product=" + BenchWorkload.product(n)
                                + "&segment=police" + query)).timeout(Duration.ofSeconds(30)).GET().build();
                        long t = System.nanoTime();
                        HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                        nanos[n] = System.nanoTime() - t;
                        if (response.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (errors.get() > 0) {
            // as for every wrk round: a warm-up that was answered with errors warmed nothing
            throw new IllegalStateException("the sweep saw " + errors.get() + " answers other than 200");
        }
        double[] ms = Arrays.stream(nanos).mapToDouble(t -> t / 1e6).sorted().toArray();
        return new Wrk.Result(policies / seconds, LatencyBenchmark.percentile(ms, 50),
                LatencyBenchmark.percentile(ms, 90), LatencyBenchmark.percentile(ms, 99), policies, 0,
                BenchEnv.load(), "");
    }
}
