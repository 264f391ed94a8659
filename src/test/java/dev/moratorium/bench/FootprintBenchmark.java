package dev.moratorium.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Start-up and memory: milliseconds from the process start to {@code /q/health/ready} answering UP
 * — the first start on an empty database (Flyway migrates it) and {@code starts} (3) restarts on
 * the migrated one, whose median is the figure — with VmRSS once idle; then VmRSS (sampled every
 * 100 ms) and VmHWM from /proc/PID/status while the service ingests the ingest benchmark's load.
 *
 * <p>Each timed restart waits first for a quiet machine ({@link CpuMeter#awaitQuiet}: under 15 % of
 * the cores busy for 2 s, at most 60 s), and reports the CPU seconds spent during it by the
 * service, its database, this JVM (the broker) and anything else: in {@code bench/run-all} the
 * restarts come right after the latency benchmark and its second broker, database and service.
 */
public final class FootprintBenchmark {

    /** A machine is quiet when under this share of its cores is busy (15 %: 0.3 of 2 cores). */
    private static final double QUIET_SHARE = 0.15;
    private static final Duration QUIET_WAIT_MAX = Duration.ofSeconds(60);

    private FootprintBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int starts = Integer.getInteger("starts", 3);
        int events = Integer.getInteger("events", 200_000);
        int policies = Integer.getInteger("policies", 20_000);
        Json machine = BenchEnv.machine();
        System.out.println("== footprint: " + (starts + 1) + " starts, then RSS under " + events
                + " events of ingest load; machine " + machine);
        Json out = new Json().put("benchmark", "footprint").put("service_java_opts", BenchService.javaOpts());
        List<Long> readyMs = new ArrayList<>();
        List<String> loads = new ArrayList<>();
        List<Double> quietWaits = new ArrayList<>();
        List<Json> startCpu = new ArrayList<>();
        long first;
        long idleRssKb = 0;
        try (BenchEnv env = BenchEnv.start()) {
            try (BenchService service = env.service("footprint-first", Map.of())) {
                service.start();
                first = service.awaitReady(Duration.ofMinutes(3));
                BenchEnv.figure("ready, first start (migrations)", first + " ms");
            }
            for (int i = 1; i <= starts; i++) {
                try (BenchService service = env.service("footprint-" + i, Map.of())) {
                    double waited = CpuMeter.awaitQuiet(QUIET_SHARE, QUIET_WAIT_MAX);
                    CpuMeter cpu = new CpuMeter()
                            .group("service", () -> service.isAlive() ? List.of(service.pid()) : List.of())
                            .group("postgres", () -> env.postgresProcesses().stream().map(ProcessHandle::pid).toList())
                            .group("bench_jvm", () -> List.of(ProcessHandle.current().pid()));
                    cpu.start();
                    service.start();
                    long ms = service.awaitReady(Duration.ofMinutes(3));
                    Json used = cpu.stop();
                    readyMs.add(ms);
                    loads.add(BenchEnv.load());
                    quietWaits.add(Json.round(waited, 1));
                    startCpu.add(used);
                    BenchEnv.figure("ready, restart " + i, ms + " ms (after " + Math.round(waited)
                            + " s waiting for a quiet machine; CPU during the start " + used + ")");
                    if (i == starts) {
                        Thread.sleep(5_000);
                        idleRssKb = service.memoryKb()[0];
                        BenchEnv.figure("RSS idle, 5 s after ready", Math.round(idleRssKb * 1024 / 1e6) + " MB");
                    }
                }
            }
            archiveShare(env, out);
        }
        List<Long> sorted = readyMs.stream().sorted().toList();
        long median = sorted.get(sorted.size() / 2);
        BenchEnv.figure("ready (median of restarts)", median + " ms");

        Json ingest = IngestBenchmark.run(events, policies, false);
        long rss = ((Number) ingest.get("rss_max_mb")).longValue();
        long hwm = ((Number) ingest.get("vmhwm_mb")).longValue();
        out.put("ready_ms", median);
        out.put("ready_ms_restarts", readyMs);
        out.put("ready_loads", loads);
        out.put("ready_quiet_wait_s", quietWaits);
        out.put("ready_cpu", startCpu);
        out.put("ready_ms_first_start", first);
        out.put("rss_idle_mb", Math.round(idleRssKb * 1024 / 1e6));
        out.put("rss_max_mb_under_ingest", rss);
        out.put("vmhwm_mb_under_ingest", hwm);
        out.put("rss_anon_max_mb_under_ingest", ingest.get("rss_anon_max_mb"));
        out.put("rss_file_mb_at_max_under_ingest", ingest.get("rss_file_at_max_mb"));
        out.put("ingest_events_per_s", ingest.get("events_per_s"));
        out.put("ingest_load1_after", ingest.get("service_load1_after"));
        out.put("target_ready_2s_met", median <= 2000);
        out.put("target_rss_300mb_met", Math.max(rss, hwm) <= 300);
        System.out.printf("target ready <= 2 s: %s (%d ms median of %d restarts; first start %d ms)%n",
                median <= 2000 ? "MET" : "MISSED", median, starts, first);
        System.out.printf("target RSS <= 300 MB under ingest load: %s (max VmRSS %d MB, VmHWM %d MB)%n",
                Math.max(rss, hwm) <= 300 ? "MET" : "MISSED", rss, hwm);
        out.put("load_at_end", BenchEnv.load());
        out.put("machine", machine);
        System.out.println(out);
        System.exit(0);
    }

    /**
     * One more start, not timed, with the class-loading log: how many of the classes loaded until
     * ready came from the start-up archive the JVM options name (0 when they name none, or one
     * that does not fit this JDK and class path).
     */
    private static void archiveShare(BenchEnv env, Json out) throws Exception {
        java.nio.file.Path log = BenchService.OUT.resolve("footprint-class-load.log").toAbsolutePath();
        java.nio.file.Files.deleteIfExists(log);
        try (BenchService service = env.service("footprint-archive-check", Map.of())) {
            service.jvmOptions("-Xlog:class+load=info:file=" + log).start();
            service.awaitReady(Duration.ofMinutes(3));
        }
        long loaded;
        long shared;
        try (var lines = java.nio.file.Files.lines(log)) {
            long[] counts = lines.collect(() -> new long[2], (c, line) -> {
                c[0]++;
                if (line.contains("source: shared objects file")) {
                    c[1]++;
                }
            }, (a, b) -> {
                a[0] += b[0];
                a[1] += b[1];
            });
            loaded = counts[0];
            shared = counts[1];
        }
        BenchEnv.figure("classes from the start-up archive", String.format("%d of %d loaded until ready (%.0f %%)",
                shared, loaded, 100.0 * shared / Math.max(1, loaded)));
        out.put("archive_classes_shared", shared);
        out.put("archive_classes_loaded", loaded);
    }
}
