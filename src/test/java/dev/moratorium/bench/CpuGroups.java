package dev.moratorium.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Processes placed in CPU cgroups of their own, the way Kubernetes places each pod: the kernel
 * then shares the cores between the groups first and between a group's threads second, so a
 * service that uses little CPU is not queued behind the many threads of a busy neighbour. Equal
 * weights ({@code cpu.shares} 1024 under cgroup v1, {@code cpu.weight} 100 under v2), as pods with
 * equal CPU requests. Needs a writable cgroup file system with the cpu controller (root); new
 * processes a placed one forks (PostgreSQL's backends) start in its group.
 */
final class CpuGroups implements AutoCloseable {

    private static final Path V1 = Path.of("/sys/fs/cgroup/cpu");
    private static final Path V2 = Path.of("/sys/fs/cgroup");

    private final List<Path> created = new ArrayList<>();

    /** Whether this machine lets the benchmark make groups (a writable cpu controller). */
    static boolean available() {
        if (Files.isDirectory(V1)) {
            return Files.isWritable(V1.resolve("cgroup.procs"));
        }
        // under cgroup v2 a child group has cpu.weight only if the root hands the cpu controller down
        try {
            return Files.isWritable(V2.resolve("cgroup.procs"))
                    && List.of(Files.readString(V2.resolve("cgroup.subtree_control")).strip().split("\\s+")).contains("cpu");
        } catch (IOException e) {
            return false;
        }
    }

    /** Puts these processes into the group of this name, made on first use. */
    synchronized void place(String name, Collection<Long> pids) throws IOException {
        Path group = (Files.isDirectory(V1) ? V1 : V2).resolve("moratorium-bench-" + name);
        if (!Files.isDirectory(group)) {
            Files.createDirectory(group);
            if (created.isEmpty()) {
                OnExit.close(this);
            }
            created.add(group);
            if (Files.exists(group.resolve("cpu.shares"))) {
                Files.writeString(group.resolve("cpu.shares"), "1024");
            } else if (Files.exists(group.resolve("cpu.weight"))) {
                Files.writeString(group.resolve("cpu.weight"), "100");
            } else {
                // a group without the cpu controller would share nothing: the run would not be what it says
                throw new IOException(group + " has neither cpu.shares nor cpu.weight");
            }
        }
        for (long pid : pids) {
            try {
                Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid));
            } catch (IOException e) {
                // the process ended meanwhile
            }
        }
    }

    /**
     * Moves this JVM back to the root group and removes the groups, whose other processes have
     * ended by now (a group with processes in it stays, and is reported).
     */
    @Override
    public synchronized void close() {
        if (created.isEmpty()) {
            return;
        }
        OnExit.closed(this);
        Path root = Files.isDirectory(V1) ? V1 : V2;
        try {
            Files.writeString(root.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
        } catch (IOException e) {
            System.err.println("the bench JVM stays in its cgroup: " + e.getMessage());
        }
        for (Path group : created) {
            try {
                Files.deleteIfExists(group);
            } catch (IOException e) {
                System.err.println("cgroup " + group + " left behind: " + e.getMessage());
            }
        }
        created.clear();
    }
}
