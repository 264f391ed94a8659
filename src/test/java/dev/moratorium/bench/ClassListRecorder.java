package dev.moratorium.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Records the class list of the start-up archive (see docker/record-class-list): the packaged
 * service, with the deployment's JVM options, on the embedded broker and database, started with
 * {@code -XX:DumpLoadedClassList}, taken through what a pod does in its first minute (start,
 * migrations, the index, a replay of policy changes, the relay, access decisions, the read
 * endpoints, the probes and the metrics) and stopped with SIGTERM. The JDK writes the name of each
 * class as it loads it; {@code java -Xshare:dump} turns the list into an archive on the JDK that
 * will run it (Dockerfile.jvm). A class missing from the list is loaded as usual, so the list
 * affects start-up time only, never behaviour.
 */
public final class ClassListRecorder {

    private static final List<String> PATHS = List.of(
            "/access?vendor=" + BenchWorkload.vendor(0) + "&product=" + BenchWorkload.product(0) + "&segment=police",
            "/access?vendor=" + BenchWorkload.vendor(1) + "&product=" + BenchWorkload.product(1)
                    + "&segment=police&organization=Thorn&explain=true",
            "/access?vendor=" + BenchWorkload.vendor(2) + "&product=" + BenchWorkload.product(2)
                    + "&segment=police&asOf=2020-06-11T00:00:00Z",
            "/moratoria", "/moratoria/" + BenchWorkload.policyId(1), "/moratoria/" + BenchWorkload.policyId(1) + "/history",
            "/notifications",
            "/rejections", "/outbox/parked", "/subscriptions", "/ops/status", "/ops/ping",
            "/q/health", "/q/health/ready", "/q/health/live", "/q/metrics", "/q/openapi", "/", "/dashboard.js");

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("out", "target/quarkus-app/app-cds.classlist")).toAbsolutePath();
        int events = Integer.getInteger("events", 3000);
        int policies = Integer.getInteger("policies", 500);
        Files.createDirectories(out.getParent());
        Files.deleteIfExists(out);
        // The list must name every class the run loads; one mapped from an older archive (the
        // deployment's options name it) might not be listed, so the recording runs without one.
        Files.deleteIfExists(BenchService.LOCAL_ARCHIVE);
        try (BenchEnv env = BenchEnv.start();
                BenchService service = env.service("class-list", Map.of())) {
            service.jvmOptions("-XX:DumpLoadedClassList=" + out).start();
            long readyMs = service.awaitReady(Duration.ofMinutes(3));
            env.produce(BenchWorkload.ingest(events, policies, 42));
            env.awaitApplied(events, Duration.ofMinutes(5), Duration.ofMillis(100));
            for (int round = 0; round < 3; round++) {
                for (String path : PATHS) {
                    service.status(path);
                }
            }
            Duration stop = service.terminate(Duration.ofSeconds(30));
            long classes;
            try (var lines = Files.lines(out)) {
                classes = lines.filter(l -> !l.startsWith("#") && !l.startsWith("@")).count();
            }
            System.out.printf("class list: %s, %d classes (ready in %d ms, %d events applied, stopped in %d ms)%n",
                    out, classes, readyMs, events, stop.toMillis());
        }
        System.exit(0);
    }
}
