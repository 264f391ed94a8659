package dev.moratorium.bench;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Ingest throughput: {@code EVENTS} (200,000) structured CloudEvents over {@code POLICIES}
 * (20,000) policies are already on {@code policy-changes} when the packaged service starts; the
 * rate is events from the first batch read (the earliest {@code policy_event.received_at}) until
 * every event is in {@code policy_event} and the outbox is empty (its notifications published).
 * Baseline in the same run, on the same broker: {@link PassthroughBaseline}, once before the
 * service (after an unmeasured warm-up pass) and once after; the ratio is against their mean.
 */
public final class IngestBenchmark {

    private IngestBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = Integer.getInteger("events", 200_000);
        int policies = Integer.getInteger("policies", 20_000);
        Json machine = BenchEnv.machine();
        System.out.println("== ingest: " + events + " events over " + policies + " policies; machine " + machine);
        Json result = run(events, policies, true, !"0".equals(System.getProperty("warm", "1")));
        result.put("machine", machine);
        System.out.println(result);
        System.exit(0);
    }

    /**
     * The warm service: as many events again, over as many new policies, produced while the service
     * that has just replayed the first set runs; events/s from the first of them read to all applied
     * and published, checked as the cold run.
     */
    private static Json warmReplay(BenchEnv env, BenchService service, int events, int policies) throws Exception {
        List<BenchWorkload.Rec> records = BenchWorkload.ingest(events, policies, 43, policies);
        CpuMeter cpu = new CpuMeter()
                .group("service", () -> List.of(service.pid()))
                .group("postgres", () -> env.postgresProcesses().stream().map(ProcessHandle::pid).toList())
                .group("bench_jvm", () -> List.of(ProcessHandle.current().pid()));
        Instant before = Instant.now();
        double load1Before = BenchEnv.load1();
        cpu.start();
        long t = System.nanoTime();
        env.produce(records);
        long produceMs = (System.nanoTime() - t) / 1_000_000;
        Instant done = env.awaitApplied(2L * events, Duration.ofMinutes(20), Duration.ofMillis(100));
        Json cpuUse = cpu.stop();
        Instant firstRead;
        long applied;
        long rejected;
        try (Connection c = env.jdbc()) {
            firstRead = env.firstReceivedSince(c, before);
            applied = env.count(c, "SELECT count(*) FROM policy_event");
            rejected = env.count(c, "SELECT count(*) FROM rejection");
        }
        long notifications = env.topicSize("moratorium-notifications");
        long states = env.topicSize("moratorium-state");
        if (applied != 2L * events || rejected != 0 || notifications != 2L * events || states != 2L * events) {
            throw new IllegalStateException("the warm run is not what it should be: applied " + applied + ", rejected "
                    + rejected + ", notifications " + notifications + ", state records " + states + " (expected "
                    + 2L * events + " applied, 0 rejected, one notification and one state record per event)");
        }
        double seconds = Duration.between(firstRead, done).toNanos() / 1e9;
        double rate = events / seconds;
        double cpuMsPerEvent = ((Number) cpuUse.get("service_cpu_s")).doubleValue() * 1000 / events;
        BenchEnv.figure("service ingest, warm (second replay)", String.format("%.0f events/s (%d events in %.2f s;"
                + " produced in %d ms while the service read them)", rate, events, seconds, produceMs));
        BenchEnv.figure("CPU seconds during the warm replay", cpuUse.toString());
        BenchEnv.figure("service CPU per event (warm replay)", String.format("%.3f ms", cpuMsPerEvent));
        return new Json().put("events_per_s", Json.round(rate, 0)).put("seconds", Json.round(seconds, 2))
                .put("produce_ms", produceMs).put("service_cpu_ms_per_event", Json.round(cpuMsPerEvent, 3))
                .put("load1_before", load1Before).put("load1_after", BenchEnv.load1()).put("cpu", cpuUse);
    }

    /** {@code jcmd PID VM.native_memory summary}, reduced to each category's committed memory. */
    static String nativeMemory(long pid) throws Exception {
        Process p = new ProcessBuilder(System.getProperty("java.home") + "/bin/jcmd", String.valueOf(pid),
                "VM.native_memory", "summary").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        StringBuilder b = new StringBuilder("-- native memory tracking (committed), service at the end of the load\n");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^(?:-\\s*)?\\s*(Total|[A-Z][A-Za-z ]+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)").matcher(text);
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("(?m)^Total: reserved=\\d+KB, committed=(\\d+)KB")
                .matcher(text);
        if (total.find()) {
            b.append(String.format("%8d MB  Total%n", Math.round(Long.parseLong(total.group(1)) * 1024 / 1e6)));
        }
        while (m.find()) {
            long mb = Math.round(Long.parseLong(m.group(2)) * 1024 / 1e6);
            if (mb > 0) {
                b.append(String.format("%8d MB  %s%n", mb, m.group(1).trim()));
            }
        }
        return b.toString();
    }

    /**
     * @param baseline also run the passthrough baseline (the footprint benchmark reuses this load without it)
     */
    static Json run(int events, int policies, boolean baseline) throws Exception {
        return run(events, policies, baseline, false);
    }

    /**
     * @param baseline also run the passthrough baseline and Kafka's perf tools
     * @param warm then, with the same service still running, a second replay of as many events over
     *     as many new policies: the warm service's rate (its code compiled, its pools and caches filled)
     */
    static Json run(int events, int policies, boolean baseline, boolean warm) throws Exception {
        Json out = new Json().put("benchmark", "ingest").put("events", events).put("policies", policies)
                .put("service_java_opts", BenchService.javaOpts());
        List<BenchWorkload.Rec> records = BenchWorkload.ingest(events, policies, 42);
        try (BenchEnv env = BenchEnv.start()) {
            long t = System.nanoTime();
            env.produce(records);
            BenchEnv.figure("produced to policy-changes", events + " records in "
                    + (System.nanoTime() - t) / 1_000_000 + " ms");

            double passBefore = 0;
            if (baseline) {
                // unmeasured warm-up of this JVM's Kafka clients and of the broker's reads
                PassthroughBaseline.run(env.kafka.bootstrapServers(), Math.min(events, 50_000), Duration.ofMinutes(5));
                CpuMeter cpu = new CpuMeter().group("bench_jvm", () -> List.of(ProcessHandle.current().pid()));
                cpu.start();
                out.put("passthrough_load1_before", BenchEnv.load1());
                passBefore = PassthroughBaseline.run(env.kafka.bootstrapServers(), events, Duration.ofMinutes(5));
                out.put("passthrough_cpu_before", cpu.stop());
                BenchEnv.figure("passthrough (before the service)", String.format("%.0f records/s", passBefore));
                int recordSize = (int) Math.round(records.stream().mapToInt(r -> r.value().length).average().orElse(500));
                Json perf = KafkaPerfTools.run(env.kafka.bootstrapServers(), events, recordSize);
                out.put("kafka_perf_tools", perf);
                BenchEnv.figure("kafka-producer-perf-test / kafka-consumer-perf-test (same broker)", perf.toString());
            }

            BenchService service = env.service("ingest", Map.of());
            if ("1".equals(System.getenv("BENCH_NMT"))) {
                service.jvmOptions("-XX:NativeMemoryTracking=summary");
            }
            CpuMeter cpu = new CpuMeter()
                    .group("service", () -> List.of(service.pid()))
                    .group("postgres", () -> env.postgresProcesses().stream().map(ProcessHandle::pid).toList())
                    .group("bench_jvm", () -> List.of(ProcessHandle.current().pid()));
            double load1Before = BenchEnv.load1();
            service.start();
            long startedAtMillis = System.currentTimeMillis();
            cpu.start();
            service.startSampling();
            long readyMs = service.awaitReady(Duration.ofMinutes(3));
            BenchEnv.figure("service ready (while ingesting)", readyMs + " ms after process start");
            Instant done = env.awaitApplied(events, Duration.ofMinutes(20), Duration.ofMillis(100));
            long[] memory = service.stopSampling();
            Json cpuUse = cpu.stop();
            double load1After = BenchEnv.load1();
            Instant firstRead;
            long applied;
            long rejected;
            try (Connection c = env.jdbc()) {
                firstRead = env.instant(c, "SELECT min(received_at) FROM policy_event");
                applied = env.count(c, "SELECT count(*) FROM policy_event");
                rejected = env.count(c, "SELECT count(*) FROM rejection");
            }
            long notifications = env.topicSize("moratorium-notifications");
            long states = env.topicSize("moratorium-state");
            double seconds = Duration.between(firstRead, done).toNanos() / 1e9;
            double rate = events / seconds;
            double rateWithStart = events / ((done.toEpochMilli() - startedAtMillis) / 1000.0);
            BenchEnv.figure("service ingest", String.format("%.0f events/s (%d events in %.2f s, first batch read"
                    + " to all applied and the outbox empty)", rate, events, seconds));
            BenchEnv.figure("service ingest incl. start-up", String.format("%.0f events/s", rateWithStart));
            BenchEnv.figure("service RSS under ingest load", String.format(
                    "max VmRSS %d MB (of it file-backed %d MB), VmHWM %d MB, max RssAnon %d MB",
                    Math.round(memory[0] * 1024 / 1e6), Math.round(memory[3] * 1024 / 1e6),
                    Math.round(memory[1] * 1024 / 1e6), Math.round(memory[2] * 1024 / 1e6)));
            BenchEnv.figure("CPU seconds during the service run", cpuUse.toString());
            if (applied != events || rejected != 0 || notifications != events || states != events) {
                throw new IllegalStateException("the run is not what it should be: applied " + applied + ", rejected "
                        + rejected + ", notifications " + notifications + ", state records " + states + " (expected "
                        + events + " applied, 0 rejected, one notification and one state record per event)");
            }
            if ("1".equals(System.getenv("BENCH_NMT"))) {
                System.out.print(nativeMemory(service.pid()));
            }
            double cpuMsPerEvent = ((Number) cpuUse.get("service_cpu_s")).doubleValue() * 1000 / events;
            BenchEnv.figure("service CPU per event (cold replay)", String.format("%.3f ms", cpuMsPerEvent));
            out.put("service_cpu_ms_per_event", Json.round(cpuMsPerEvent, 3));
            if (warm) {
                out.put("warm", warmReplay(env, service, events, policies));
                out.put("warm_events_per_s", ((Json) out.get("warm")).get("events_per_s"));
            }
            service.close();
            System.out.print(env.statementReport());
            String profile = null;
            if (BenchService.profiling()) {
                profile = JfrTop.summarize(service.jfrFile(), firstRead, done, 30);
                System.out.print(profile);
            }

            out.put("events_per_s", Json.round(rate, 0));
            out.put("seconds", Json.round(seconds, 2));
            out.put("events_per_s_incl_startup", Json.round(rateWithStart, 0));
            out.put("ready_ms_under_load", readyMs);
            out.put("rss_max_mb", Math.round(memory[0] * 1024 / 1e6));
            out.put("vmhwm_mb", Math.round(memory[1] * 1024 / 1e6));
            out.put("rss_anon_max_mb", Math.round(memory[2] * 1024 / 1e6));
            out.put("rss_file_at_max_mb", Math.round(memory[3] * 1024 / 1e6));
            out.put("notifications_published", notifications);
            out.put("service_load1_before", load1Before);
            out.put("service_load1_after", load1After);
            out.put("service_cpu", cpuUse);
            if (profile != null) {
                out.put("jfr", service.jfrFile().toString());
            }

            if (baseline) {
                CpuMeter cpu2 = new CpuMeter().group("bench_jvm", () -> List.of(ProcessHandle.current().pid()));
                cpu2.start();
                double passAfter = PassthroughBaseline.run(env.kafka.bootstrapServers(), events, Duration.ofMinutes(5));
                out.put("passthrough_cpu_after", cpu2.stop());
                out.put("passthrough_load1_after", BenchEnv.load1());
                BenchEnv.figure("passthrough (after the service)", String.format("%.0f records/s", passAfter));
                double pass = (passBefore + passAfter) / 2;
                double ratio = rate / pass;
                BenchEnv.figure("ratio service / passthrough", String.format("%.3f", ratio));
                out.put("passthrough_per_s_before", Json.round(passBefore, 0));
                out.put("passthrough_per_s_after", Json.round(passAfter, 0));
                out.put("passthrough_per_s", Json.round(pass, 0));
                out.put("ratio_vs_passthrough", Json.round(ratio, 3));
                out.put("target_events_per_s_10000_met", rate >= 10_000);
                if (out.get("warm_events_per_s") != null) {
                    double warmRate = ((Number) out.get("warm_events_per_s")).doubleValue();
                    out.put("warm_ratio_vs_passthrough", Json.round(warmRate / pass, 3));
                    out.put("target_warm_events_per_s_10000_met", warmRate >= 10_000);
                    System.out.printf("target warm ingest >= 10,000 events/s: %s (%.0f, %.3f x passthrough)%n",
                            warmRate >= 10_000 ? "MET" : "MISSED", warmRate, warmRate / pass);
                }
                out.put("target_ratio_0_3_met", ratio >= 0.3);
                System.out.printf("target ingest >= 10,000 events/s: %s (%.0f)%n", rate >= 10_000 ? "MET" : "MISSED", rate);
                System.out.printf("target ingest >= 0.3 x passthrough: %s (%.3f)%n", ratio >= 0.3 ? "MET" : "MISSED",
                        ratio);
            }
            out.put("load_at_end", BenchEnv.load());
        }
        return out;
    }
}
