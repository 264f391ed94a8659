package dev.moratorium.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * CPU seconds spent over a window by named groups of processes (from /proc/PID/stat), and by the
 * whole machine (from /proc/stat): on a shared 2-core machine this says where the cores went —
 * the service, the database, the broker and load generator in the bench JVM, or other work.
 */
final class CpuMeter {

    private static final double TICK = 100.0; // USER_HZ on Linux

    private final Map<String, Supplier<List<Long>>> groups = new LinkedHashMap<>();
    private Map<String, Double> start;
    private double[] machineStart;
    private long startNanos;

    CpuMeter group(String name, Supplier<List<Long>> pids) {
        groups.put(name, pids);
        return this;
    }

    void start() {
        start = snapshot();
        machineStart = machine();
        startNanos = System.nanoTime();
    }

    /** CPU seconds per group since {@link #start()}, plus {@code machine_busy}, {@code other} and {@code wall}. */
    Json stop() {
        Map<String, Double> end = snapshot();
        double[] machineEnd = machine();
        double wall = (System.nanoTime() - startNanos) / 1e9;
        Json j = new Json();
        double ours = 0;
        for (String name : groups.keySet()) {
            double used = Math.max(0, end.get(name) - start.get(name));
            ours += used;
            j.put(name + "_cpu_s", Json.round(used, 2));
        }
        double busy = machineEnd[0] - machineStart[0];
        j.put("machine_busy_cpu_s", Json.round(busy, 2));
        j.put("other_cpu_s", Json.round(Math.max(0, busy - ours), 2));
        j.put("wall_s", Json.round(wall, 2));
        j.put("cores_available_cpu_s", Json.round(wall * Runtime.getRuntime().availableProcessors(), 2));
        return j;
    }

    private Map<String, Double> snapshot() {
        Map<String, Double> m = new LinkedHashMap<>();
        groups.forEach((name, pids) -> m.put(name, pids.get().stream().mapToDouble(CpuMeter::cpuSeconds).sum()));
        return m;
    }

    /** utime + stime + cutime + cstime of one process (its threads, and its children that exited). */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "(comm) ": f[0] is field 3 (state); utime is field 14 → f[11]
            return (Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14])) / TICK;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** {busy, idle} CPU seconds of the whole machine since boot. */
    static double[] machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new double[] {(total - idle) / TICK, idle / TICK};
        } catch (IOException | RuntimeException e) {
            return new double[] {0, 0};
        }
    }

    /**
     * Waits until the whole machine spends under {@code maxBusyShare} of its cores in each of two
     * consecutive 1 s windows, or until {@code maxWait} has passed; returns the seconds waited.
     * A benchmark that times a start calls it first, so that what it times is the service's start
     * and not whatever else still runs (the previous benchmark's processes going away); the
     * 1-minute load average cannot say: it lags by minutes.
     */
    static double awaitQuiet(double maxBusyShare, java.time.Duration maxWait) throws InterruptedException {
        long start = System.nanoTime();
        int quietWindows = 0;
        double[] before = machine();
        while (quietWindows < 2 && System.nanoTime() - start < maxWait.toNanos()) {
            Thread.sleep(1_000);
            double[] now = machine();
            double busy = now[0] - before[0];
            double total = busy + now[1] - before[1];
            quietWindows = total > 0 && busy / total < maxBusyShare ? quietWindows + 1 : 0;
            before = now;
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** The process and its living descendants. */
    static List<Long> tree(ProcessHandle root) {
        List<Long> pids = new java.util.ArrayList<>();
        pids.add(root.pid());
        root.descendants().forEach(p -> pids.add(p.pid()));
        return pids;
    }
}
