package dev.moratorium.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Seconds that threads spent runnable but waiting for a core (the second field of Linux's
 * /proc/PID/task/TID/schedstat), by thread group as {@link ThreadCpu} names them, over a window.
 * On a saturated machine a path of many short steps, each handed from one thread or process to
 * another (a JDBC round trip is two), waits this long at every step: what an event's latency is
 * made of when its CPU is not.
 */
final class RunQueueWait {

    private final Supplier<List<Long>> pids;
    private final boolean byThread;
    private Map<String, Long> start;

    /** @param byThread group by thread name (a JVM), or count all threads of the processes as one */
    RunQueueWait(Supplier<List<Long>> pids, boolean byThread) {
        this.pids = pids;
        this.byThread = byThread;
    }

    void start() {
        start = snapshot();
    }

    /** Seconds waited per group since {@link #start()}, largest first; threads born since count from 0. */
    Json stop() {
        Map<String, Long> waited = new HashMap<>();
        snapshot().forEach((task, nanos) -> waited.merge(task.substring(task.indexOf('/') + 1),
                nanos - start.getOrDefault(task, 0L), Long::sum));
        Json out = new Json();
        waited.entrySet().stream().filter(e -> e.getValue() >= 5_000_000)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.put(e.getKey(), Json.round(e.getValue() / 1e9, 2)));
        return out;
    }

    /** "pid:tid/group" to nanoseconds waited on a run queue. */
    private Map<String, Long> snapshot() {
        Map<String, Long> waits = new LinkedHashMap<>();
        for (long pid : pids.get()) {
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
                for (Path task : tasks) {
                    try {
                        String[] f = Files.readString(task.resolve("schedstat")).strip().split(" ");
                        String group = byThread ? ThreadCpu.group(Files.readString(task.resolve("comm")).strip()) : "all";
                        waits.put(pid + ":" + task.getFileName() + "/" + group, Long.parseLong(f[1]));
                    } catch (IOException | RuntimeException e) {
                        // the thread ended while being read
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }
        return waits;
    }
}
