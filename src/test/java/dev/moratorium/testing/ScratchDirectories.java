package dev.moratorium.testing;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The temporary directories that tests, the reliability harness and the benchmarks start a broker
 * and a PostgreSQL in, each marked with the JVM that made it, so that a run clears what a killed
 * one left behind.
 *
 * <p>Why: {@code pg_ctl} starts PostgreSQL in a session of its own, so a {@code kill -9} of
 * {@code ./mvnw verify} (Maven, surefire, the failsafe forks) leaves every test's server running
 * on its data directory, about 50 MB each and a directory in {@code /tmp}, for good; killed again and
 * again, they pile up on a 2-core machine. The broker runs inside the JVM and dies with it.
 *
 * <p>Only a directory whose owner (a pid and the instant it started, so a recycled pid does not
 * count) is gone is cleared, and only a postgres process serving that very directory is stopped:
 * the forks of a run in progress, in parallel, are left alone. A directory without the mark (being
 * made just now, or made before there was one), or of another user, is left alone too.
 *
 * <p>The packaged services a JVM starts (the reliability tests' replicas, the benchmarks' services)
 * carry its mark in their environment ({@link #markAsOurs}), and are stopped the same way once it is
 * gone.
 */
public final class ScratchDirectories {

    static final String OWNER = "owner";
    /**
     * The environment variable a packaged service started by a test or a benchmark carries: the
     * mark of the JVM that started it. Named outside {@code MORATORIUM_}, which the service reads as
     * its settings.
     */
    static final String OWNER_VARIABLE = "TESTS_SCRATCH_OWNER";
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final List<String> PREFIXES = List.of("moratorium-test-", "moratorium-reliability-",
            "moratorium-bench-");
    /**
     * Directories this JVM could not clear: not tried again by its later tests, each of which would
     * otherwise wait for the same server to stop (up to half a minute) at every start.
     */
    private static final Set<Path> UNCLEARABLE = ConcurrentHashMap.newKeySet();

    private ScratchDirectories() {
    }

    /** Clears what killed runs left in the temporary directory, then makes a directory marked as this JVM's. */
    public static Path create(String prefix) throws IOException {
        if (PREFIXES.stream().noneMatch(prefix::equals)) {
            throw new IllegalArgumentException(prefix + " is not one of " + PREFIXES);
        }
        stopLeftoverServices();
        clearLeftovers(Path.of(System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(prefix);
        Files.writeString(dir.resolve(OWNER), ownerLine(ProcessHandle.current()));
        return dir;
    }

    /**
     * Marks a packaged service about to be started as this JVM's ({@link #OWNER_VARIABLE}): if this
     * JVM is killed alone (the OOM killer picks one process, not a process group), the service would
     * run on for good, reconnecting to a broker and a database that are gone; the next run stops it.
     */
    public static void markAsOurs(ProcessBuilder service) {
        service.environment().put(OWNER_VARIABLE, ownerLine(ProcessHandle.current()));
    }

    /**
     * Stops every process of this user whose mark ({@link #OWNER_VARIABLE}, read from
     * {@code /proc/PID/environ}) names a JVM that is gone: SIGTERM, SIGKILL after 10 s.
     *
     * @return the pids stopped
     */
    static List<Long> stopLeftoverServices() {
        String me = System.getProperty("user.name");
        List<ProcessHandle> orphans = ProcessHandle.allProcesses()
                .filter(p -> p.info().user().map(me::equals).orElse(false))
                .filter(p -> markOf(p).filter(owner -> !alive(owner)).isPresent()).toList();
        orphans.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        List<Long> stopped = new ArrayList<>();
        for (ProcessHandle p : orphans) {
            try {
                p.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                p.destroyForcibly();
            } catch (ExecutionException e) {
                // it exited anyway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return stopped;
            }
            stopped.add(p.pid());
            System.err.println("Stopped a packaged service (pid " + p.pid() + ") left running by a killed run");
        }
        return stopped;
    }

    /** The mark in a process's environment, if it carries one (another user's cannot be read, but by root). */
    static Optional<String> markOf(ProcessHandle process) {
        byte[] environment;
        try {
            environment = Files.readAllBytes(Path.of("/proc", String.valueOf(process.pid()), "environ"));
        } catch (IOException | SecurityException e) {
            return Optional.empty(); // another user's, gone meanwhile, or no /proc
        }
        String prefix = OWNER_VARIABLE + "=";
        for (String entry : new String(environment, StandardCharsets.UTF_8).split("\0")) {
            if (entry.startsWith(prefix)) {
                return Optional.of(entry.substring(prefix.length()));
            }
        }
        return Optional.empty();
    }

    /** The mark: the process's pid and when it started (-1 when the system does not say). */
    static String ownerLine(ProcessHandle process) {
        return process.pid() + " " + process.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
    }

    /**
     * Clears each of our directories in {@code tmp} whose owner is gone: stops the PostgreSQL left
     * running on it, then deletes it.
     *
     * @return the directories cleared
     */
    static List<Path> clearLeftovers(Path tmp) {
        List<Path> cleared = new ArrayList<>();
        List<Path> ours;
        try (Stream<Path> entries = Files.list(tmp)) {
            ours = entries.filter(d -> PREFIXES.stream().anyMatch(d.getFileName().toString()::startsWith))
                    .filter(Files::isDirectory).filter(ScratchDirectories::mine).filter(d -> !UNCLEARABLE.contains(d))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            return cleared; // nothing to clear that we can see
        }
        for (Path dir : ours) {
            Optional<String> owner = read(dir.resolve(OWNER));
            if (owner.isEmpty() || alive(owner.get())) {
                continue;
            }
            try {
                Optional<Long> stopped = EmbeddedPostgresServer.stopLeftover(dir.resolve("postgres"));
                deleteQuietly(dir);
                cleared.add(dir);
                System.err.println("Cleared " + dir + ", left by a killed run (pid " + owner.get().split(" ")[0]
                        + ")" + stopped.map(pid -> ": stopped its PostgreSQL, pid " + pid).orElse(""));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return cleared;
            } catch (RuntimeException e) {
                UNCLEARABLE.add(dir);
                System.err.println("Could not clear " + dir + ", left by a killed run: " + e.getMessage());
            }
        }
        return cleared;
    }

    /**
     * Made by this user: on a machine shared by several, another user's directory and server are
     * theirs (nor could this JVM stop the server or delete the files).
     */
    private static boolean mine(Path dir) {
        try {
            return Files.getOwner(dir).getName().equals(System.getProperty("user.name"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Whether the process the mark names still runs: the same pid, started at the same instant. */
    static boolean alive(String ownerLine) {
        String[] parts = ownerLine.strip().split(" ");
        long pid;
        long started;
        try {
            pid = Long.parseLong(parts[0]);
            started = parts.length > 1 ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return true; // not a mark we wrote: not ours to judge
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> started < 0 || p.info().startInstant().map(Instant::toEpochMilli).orElse(started) == started)
                .isPresent();
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file)).filter(s -> !s.isBlank());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Deletes a directory and everything in it; what cannot be deleted stays. */
    public static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a file removed meanwhile, or unreadable: what is left stays
        }
    }
}
