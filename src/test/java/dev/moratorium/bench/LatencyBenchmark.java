package dev.moratorium.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * End-to-end latency: once the service has ingested {@code preload} (20,000) events, events produced
 * to {@code policy-changes} at a constant {@code rate} (200/s) for {@code seconds} (30) after a
 * {@code warmup} (60 s) at that rate; for each, the time from just before
 * {@code send()} to the moment this JVM's consumer of {@code moratorium-notifications} receives
 * the notification it caused ({@code causedBy}), both read from {@link System#nanoTime()} here.
 *
 * <p>The warm-up is long because the figure is the steady state's: on 2 cores the JIT compiler
 * takes about half the service's CPU during its first minute of load (async-profiler), and a
 * 10 s warm-up measures that contention (p99 about 75 ms against about 15-20 ms after 60 s).
 * {@code -Dwarmup=10} (WARMUP=10 in bench/latency) measures the young service.
 *
 * <p>{@code -Dtransactional=true} (TRANSACTIONAL=1): the producer commits a transaction per event,
 * so a marker follows each record and nearly every batch the service reads skips an offset; the
 * broker's ListOffsets requests in the window are reported per event (the service's check of
 * skipped offsets asks them).
 */
public final class LatencyBenchmark {

    private LatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rate = Integer.getInteger("rate", 200);
        int seconds = Integer.getInteger("seconds", 30);
        int warmup = Integer.getInteger("warmup", 60);
        boolean transactional = Boolean.getBoolean("transactional");
        Json machine = BenchEnv.machine();
        System.out.println("== latency: " + rate + " events/s for " + seconds + " s after " + warmup
                + " s warm-up at that rate; machine " + machine);
        Json out = new Json().put("benchmark", "latency").put("rate", rate).put("seconds", seconds)
                .put("service_java_opts", BenchService.javaOpts()).put("transactional", transactional);
        int preload = Integer.getInteger("preload", 20_000);
        // then under load: a replay of `replay` events by a second service on the same cores
        int replay = Integer.getInteger("replay", 200_000);
        int loadSeconds = replay > 0 ? Integer.getInteger("loadSeconds", seconds) : 0;
        // room for the replay's service to start (it loads the cores too) before the window opens
        int total = rate * (warmup + seconds + (replay > 0 ? 240 : 0));
        List<BenchWorkload.Rec> records = BenchWorkload.ingest(total, Math.max(1, total / 10), 7, 1_000_000);
        ObjectMapper json = new ObjectMapper();
        out.put("preload_events", preload).put("warmup_s", warmup);
        // The concurrent replay runs in a second service with its own broker and database: a replay
        // through this service's own topic would queue the live events behind it in their
        // partitions (each policy's events stay in order), so what is measured here is what a
        // replay elsewhere on the same two cores (another replica rebuilding, another tenant) costs
        // the live path.
        BenchEnv replayEnv = replay > 0 ? BenchEnv.start() : null;
        if (replayEnv != null) {
            replayEnv.produce(BenchWorkload.ingest(replay, Math.max(1, replay / 10), 11));
            BenchEnv.figure("replay for the load phase", replay + " events produced to a second broker");
        }
        BenchService replayService = replayEnv == null ? null : replayEnv.service("latency-replay", Map.of());
        // BENCH_PODS=1: each service with its database in a CPU cgroup of its own, as Kubernetes places pods
        boolean pods = "1".equals(System.getenv("BENCH_PODS"));
        if (pods && !CpuGroups.available()) {
            throw new IllegalStateException("BENCH_PODS=1 needs a writable cgroup file system with the cpu controller");
        }
        out.put("cpu_groups", pods);
        CpuGroups groups = new CpuGroups();
        try (BenchEnv env = BenchEnv.start(); BenchService service = env.service("latency", Map.of())) {
            // a service that has been running: history in the database, its ingest path compiled
            env.produce(BenchWorkload.ingest(preload, Math.max(1, preload / 10), 3));
            service.start();
            service.awaitReady(Duration.ofMinutes(3));
            env.awaitApplied(preload, Duration.ofMinutes(10), Duration.ofMillis(200));
            if (pods) {
                groups.place("measured", pids(service, env));
                // the brokers: other machines in production
                groups.place("bench", List.of(ProcessHandle.current().pid()));
            }
            BenchEnv.figure("preloaded", preload + " events applied and published");

            Map<String, Long> sentAt = new ConcurrentHashMap<>();
            Map<String, Long> latencyNanos = new ConcurrentHashMap<>();
            LatencyStages stages = new LatencyStages();
            AtomicBoolean stop = new AtomicBoolean();
            KafkaConsumer<byte[], byte[]> consumer = env.notificationsFromNow();
            Thread reader = new Thread(() -> {
                while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        try {
                            String causedBy = json.readTree(r.value()).get("causedBy").asText();
                            Long sent = sentAt.get(causedBy);
                            if (sent != null) {
                                latencyNanos.putIfAbsent(causedBy, now - sent);
                                stages.received(causedBy, r.timestamp());
                            }
                        } catch (java.io.IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
                consumer.close();
            }, "notification-reader");
            reader.start();

            CpuMeter cpu = new CpuMeter()
                    .group("service", () -> List.of(service.pid()))
                    .group("postgres", () -> env.postgresProcesses().stream().map(ProcessHandle::pid).toList())
                    .group("bench_jvm", () -> List.of(ProcessHandle.current().pid()));
            double load1Before = BenchEnv.load1();
            long periodNanos = 1_000_000_000L / rate;
            List<String> measured = new ArrayList<>();
            List<String> measuredUnderLoad = new ArrayList<>();
            Json cpuSteady = null;
            // what a batch of one costs: the service's threads, and the database transactions per event
            ThreadCpu threads = new ThreadCpu(service.pid());
            Json threadsSteady = null;
            // BENCH_ASYNC_PROFILER: a CPU profile of this window alone
            WindowProfile profile = new WindowProfile(service.pid(), "latency-window");
            java.util.concurrent.CompletableFuture<Void> profileStopped = null;
            // and how long the service's threads and its database waited for a core, quiet and under load
            RunQueueWait serviceWaits = new RunQueueWait(() -> List.of(service.pid()), true);
            RunQueueWait postgresWaits = new RunQueueWait(
                    () -> env.postgresProcesses().stream().map(ProcessHandle::pid).toList(), false);
            Json waitsSteady = null;
            RunQueueWait serviceWaitsLoaded = new RunQueueWait(() -> List.of(service.pid()), true);
            RunQueueWait postgresWaitsLoaded = new RunQueueWait(
                    () -> env.postgresProcesses().stream().map(ProcessHandle::pid).toList(), false);
            Json waitsLoaded = null;
            long xactStart = 0;
            long xactSteady = -1;
            java.sql.Connection stats = env.jdbc(); // opened now, not on the sending schedule
            int steadyEnd = rate * (warmup + seconds);
            java.util.concurrent.CompletableFuture<Void> replayStarted = null;
            // the replay's applied events, polled off the sending thread
            java.util.concurrent.atomic.AtomicLong replayApplied = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.ScheduledExecutorService poller = java.util.concurrent.Executors
                    .newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "replay-poller");
                        t.setDaemon(true);
                        return t;
                    });
            int loadFrom = -1;
            long replayAppliedAtLoadStart = 0;
            int sent = 0;
            long listOffsetsStart = 0;
            long listOffsetsSteady = -1;
            try (KafkaProducer<byte[], byte[]> producer = transactional ? env.transactionalProducer() : env.eagerProducer()) {
                long t0 = System.nanoTime();
                for (int i = 0; i < records.size(); i++) {
                    if (i >= steadyEnd) {
                        if (replayEnv == null) {
                            break;
                        }
                        // The window under load opens once the replay applies events, and closes after
                        // loadSeconds or when the replay is done, whichever comes first.
                        long applied = replayApplied.get();
                        if (loadFrom < 0 && applied > 0) {
                            loadFrom = i;
                            serviceWaitsLoaded.start();
                            postgresWaitsLoaded.start();
                            replayAppliedAtLoadStart = applied;
                        }
                        if (loadFrom >= 0 && (i - loadFrom >= rate * loadSeconds || applied >= replay)) {
                            break;
                        }
                    }
                    if (i == rate * warmup) {
                        cpu.start();
                        threads.start();
                        profile.start();
                        serviceWaits.start();
                        postgresWaits.start();
                        xactStart = transactions(env, stats);
                        listOffsetsStart = BenchEnv.brokerRequests("ListOffsets");
                    }
                    if (i == steadyEnd) {
                        cpuSteady = cpu.stop();
                        threadsSteady = threads.stop();
                        profileStopped = java.util.concurrent.CompletableFuture.runAsync(profile::stop);
                        waitsSteady = waits(serviceWaits, postgresWaits);
                        xactSteady = transactions(env, stats);
                        listOffsetsSteady = BenchEnv.brokerRequests("ListOffsets");
                        if (replayService != null) {
                            // off this thread, so the schedule of sends is kept
                            replayStarted = java.util.concurrent.CompletableFuture.runAsync(() -> {
                                try {
                                    replayService.start();
                                    if (pods) {
                                        groups.place("replay", pids(replayService, replayEnv));
                                    }
                                } catch (java.io.IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                            });
                            AppliedEvents replayHistory = new AppliedEvents();
                            poller.scheduleWithFixedDelay(
                                    () -> replayApplied.set(appliedOrMinus1(replayEnv, replayHistory)), 250, 250,
                                    java.util.concurrent.TimeUnit.MILLISECONDS);
                        }
                    }
                    long due = t0 + i * periodNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    BenchWorkload.Rec r = records.get(i);
                    sentAt.put(r.eventId(), System.nanoTime());
                    stages.sent(r.eventId());
                    if (transactional) {
                        producer.beginTransaction();
                        producer.send(BenchEnv.record(r));
                        producer.commitTransaction();
                    } else {
                        producer.send(BenchEnv.record(r));
                    }
                    if (i >= rate * warmup && i < steadyEnd) {
                        measured.add(r.eventId());
                    } else if (loadFrom >= 0) {
                        measuredUnderLoad.add(r.eventId());
                    }
                    sent = i + 1;
                }
                if (loadFrom >= 0) {
                    waitsLoaded = waits(serviceWaitsLoaded, postgresWaitsLoaded);
                }
                double sendSeconds = (System.nanoTime() - t0) / 1e9;
                out.put("achieved_send_rate", Json.round(sent / sendSeconds, 1));
            }
            long replayAppliedAtEnd = replayEnv == null ? 0 : replayApplied.get();
            poller.shutdownNow();
            if (replayEnv != null && loadFrom < 0) {
                throw new IllegalStateException("the replay applied nothing within 240 s of its start (see "
                        + BenchService.OUT.resolve("latency-replay.log") + ")");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (latencyNanos.size() < sent && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Json cpuUse = cpuSteady != null ? cpuSteady : cpu.stop();
            if (threadsSteady == null) { // no replay: the window ended with the last send
                threadsSteady = threads.stop();
                profile.stop();
                waitsSteady = waits(serviceWaits, postgresWaits);
                xactSteady = transactions(env, stats);
                listOffsetsSteady = BenchEnv.brokerRequests("ListOffsets");
            }
            stats.close();
            stop.set(true);
            reader.join(5_000);

            double[] ms = measured.stream().map(latencyNanos::get).filter(java.util.Objects::nonNull)
                    .mapToDouble(n -> n / 1e6).sorted().toArray();
            long missing = measured.size() - ms.length;
            if (missing > 0) {
                throw new IllegalStateException(missing + " of " + measured.size() + " notifications not received");
            }
            double p50 = percentile(ms, 50);
            double p90 = percentile(ms, 90);
            double p99 = percentile(ms, 99);
            double p999 = percentile(ms, 99.9);
            double max = ms[ms.length - 1];
            BenchEnv.figure("event -> notification (" + ms.length + " events)", String.format(
                    "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms, mean %.2f ms", p50, p90, p99,
                    p999, max, Arrays.stream(ms).average().orElse(0)));
            BenchEnv.figure("CPU seconds while measuring", cpuUse.toString());
            double cpuMsPerEvent = ((Number) cpuUse.get("service_cpu_s")).doubleValue() * 1000 / ms.length;
            BenchEnv.figure("service CPU per event at " + rate + " events/s", String.format("%.3f ms", cpuMsPerEvent));
            out.put("service_cpu_ms_per_event", Json.round(cpuMsPerEvent, 3));
            try (java.sql.Connection c = env.jdbc()) {
                Json steadyStages = stages.report(c, measured);
                BenchEnv.figure("where the time goes (stages)", steadyStages.toString());
                out.put("stages", steadyStages);
                if (replayEnv != null) {
                    Json loadedStages = stages.report(c, measuredUnderLoad);
                    BenchEnv.figure("where the time goes under load (stages)", loadedStages.toString());
                    out.put("stages_under_load", loadedStages);
                }
            }
            if (threadsSteady != null) {
                BenchEnv.figure("service CPU seconds by thread", threadsSteady.toString());
                out.put("service_cpu_s_by_thread", threadsSteady);
                BenchEnv.figure("seconds waiting for a core", waitsSteady.toString());
                out.put("runqueue_wait_s", waitsSteady);
                // pg_stat_database counts every transaction of the database: the service's, and none of the bench's in this window
                double xactPerEvent = (xactSteady - xactStart) / (double) ms.length;
                BenchEnv.figure("database transactions per event", String.format("%.2f", xactPerEvent));
                out.put("db_transactions_per_event", Json.round(xactPerEvent, 2));
                // the broker's, every client's: the service's consumer, relay and watches (the bench's own ask none)
                double listOffsetsPerEvent = (listOffsetsSteady - listOffsetsStart) / (double) ms.length;
                BenchEnv.figure("broker ListOffsets requests per event", String.format("%.3f", listOffsetsPerEvent));
                out.put("broker_list_offsets_per_event", Json.round(listOffsetsPerEvent, 3));
            }
            if (replayEnv != null) {
                replayStarted.join();
                double[] loaded = measuredUnderLoad.stream().map(latencyNanos::get).filter(java.util.Objects::nonNull)
                        .mapToDouble(n -> n / 1e6).sorted().toArray();
                if (loaded.length < measuredUnderLoad.size()) {
                    throw new IllegalStateException((measuredUnderLoad.size() - loaded.length) + " of "
                            + measuredUnderLoad.size() + " notifications not received under load");
                }
                long atStart = replayAppliedAtLoadStart;
                double p99Loaded = percentile(loaded, 99);
                BenchEnv.figure("event -> notification during a " + replay + "-event replay (" + loaded.length
                        + " events)", String.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; the replay"
                        + " had applied %d events at the start of this window and %d at its end",
                        percentile(loaded, 50), percentile(loaded, 90), p99Loaded, loaded[loaded.length - 1], atStart,
                        replayAppliedAtEnd));
                out.put("p99_ms_under_load", Json.round(p99Loaded, 2));
                out.put("under_load", new Json().put("replay_events", replay).put("events_measured", loaded.length)
                        .put("p50_ms", Json.round(percentile(loaded, 50), 2))
                        .put("p90_ms", Json.round(percentile(loaded, 90), 2)).put("p99_ms", Json.round(p99Loaded, 2))
                        .put("max_ms", Json.round(loaded[loaded.length - 1], 2))
                        .put("replay_applied_at_window_start", atStart)
                        .put("replay_applied_at_window_end", replayAppliedAtEnd)
                        .put("replay_still_running_at_end", replayAppliedAtEnd < replay)
                        .put("runqueue_wait_s", waitsLoaded));
                BenchEnv.figure("seconds waiting for a core under load", String.valueOf(waitsLoaded));
                out.put("target_p99_under_load_25ms_met", p99Loaded <= 25);
                System.out.printf("target event->notification p99 <= 25 ms during a replay: %s (%.2f ms)%n",
                        p99Loaded <= 25 ? "MET" : "MISSED", p99Loaded);
            }
            out.put("events_measured", ms.length);
            out.put("p50_ms", Json.round(p50, 2));
            out.put("p90_ms", Json.round(p90, 2));
            out.put("p99_ms", Json.round(p99, 2));
            out.put("p999_ms", Json.round(p999, 2));
            out.put("max_ms", Json.round(max, 2));
            out.put("load1_before", load1Before);
            out.put("load1_after", BenchEnv.load1());
            out.put("cpu", cpuUse);
            out.put("target_p99_10ms_met", p99 <= 10);
            System.out.printf("target event->notification p99 <= 10 ms at %d events/s: %s (%.2f ms)%n", rate,
                    p99 <= 10 ? "MET" : "MISSED", p99);
            System.out.print(env.statementReport());
            if (profileStopped != null) {
                profileStopped.join();
            }
            if (profile.enabled()) {
                System.out.println("async-profiler, the quiet window's collapsed stacks: " + profile.file());
                out.put("window_profile", profile.file().toString());
            }
            if (BenchService.profiling()) {
                service.close();
                System.out.print(JfrTop.summarize(service.jfrFile(), java.time.Instant.MIN, java.time.Instant.MAX, 30));
                out.put("jfr", service.jfrFile().toString());
            }
        } finally {
            if (replayService != null) {
                replayService.close();
            }
            if (replayEnv != null) {
                replayEnv.close();
            }
            groups.close(); // also when the run failed: no group left behind
        }
        out.put("load_at_end", BenchEnv.load());
        out.put("machine", machine);
        System.out.println(out);
        System.exit(0);
    }

    private static List<Long> pids(BenchService service, BenchEnv env) {
        List<Long> pids = new ArrayList<>(List.of(service.pid()));
        env.postgresProcesses().forEach(p -> pids.add(p.pid()));
        return pids;
    }

    private static Json waits(RunQueueWait service, RunQueueWait postgres) {
        return new Json().put("service", service.stop()).put("postgres", postgres.stop());
    }

    /** Events the replay's service has applied so far (0 while its schema is not there yet). */
    private static long appliedOrMinus1(BenchEnv env, AppliedEvents history) {
        try (java.sql.Connection c = env.jdbc()) {
            return history.count(c);
        } catch (java.sql.SQLException e) {
            return 0;
        }
    }

    /** Transactions the database has committed or rolled back (its statistics lag by up to half a second). */
    private static long transactions(BenchEnv env, java.sql.Connection c) throws java.sql.SQLException {
        c.setAutoCommit(true);
        // a fresh snapshot of the statistics each time, not the one this transaction first saw
        try (java.sql.Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
        }
        return env.count(c, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double pct) {
        int rank = (int) Math.ceil(pct / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

}
