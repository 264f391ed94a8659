package dev.moratorium.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU seconds of one process by thread name (from /proc/PID/task/TID/stat and comm), numbered
 * threads of a pool counted together ("executor-thread", "C2 CompilerThre", "webhook-deliver"):
 * where the service's CPU for a batch of one goes — the consumer's transaction, the relay round,
 * the readers woken by each commit, the compiler.
 */
final class ThreadCpu {

    private static final double TICK = 100.0; // USER_HZ on Linux

    private final long pid;
    private Map<String, Long> start;

    ThreadCpu(long pid) {
        this.pid = pid;
    }

    void start() {
        start = snapshot();
    }

    /** CPU seconds per thread group since {@link #start()}, largest first; threads born since count from 0. */
    Json stop() {
        Map<String, Long> end = snapshot();
        Map<String, Long> used = new HashMap<>();
        end.forEach((tid, ticks) -> {
            long before = start.getOrDefault(tid, 0L);
            used.merge(tid.substring(tid.indexOf('/') + 1), ticks - before, Long::sum);
        });
        Json out = new Json();
        used.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.put(e.getKey(), Json.round(e.getValue() / TICK, 2)));
        return out;
    }

    /** "tid/group" to utime + stime ticks. */
    private Map<String, Long> snapshot() {
        Map<String, Long> ticks = new LinkedHashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = String.join(" ", Files.readAllLines(task.resolve("stat")));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    String name = String.join("", Files.readAllLines(task.resolve("comm"))).strip();
                    ticks.put(task.getFileName() + "/" + group(name), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        return ticks;
    }

    /** A pool's threads as one: trailing numbers and separators dropped ("executor-thread-3" → "executor-thread"). */
    static String group(String threadName) {
        return threadName.replaceAll("[-#\\s]*\\d+$", "").replaceAll("\\s*\\|.*$", "");
    }
}
