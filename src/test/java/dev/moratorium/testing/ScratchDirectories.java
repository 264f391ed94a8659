package dev.moratorium.testing;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The temporary directories that tests, the reliability harness and the benchmarks start a broker
 * and a PostgreSQL in, each marked with the JVM that made it, so that a run clears what a killed
 * one left behind.
 *
 * <p>Why: {@code pg_ctl} starts PostgreSQL in a session of its own, so a {@code kill -9} of
 * {@code ./mvnw verify} (Maven, surefire, the failsafe forks) leaves every test's server running
 * on its data directory, 40–60 MB each and a directory in {@code /tmp}, for good; killed again and
 * again, they pile up on a 2-core machine. The broker runs inside the JVM and dies with it.
 *
 * <p>Only a directory whose owner (a pid and the instant it started, so a recycled pid does not
 * count) is gone is cleared, and only a postgres process serving that very directory is stopped:
 * the forks of a run in progress, in parallel, are left alone. A directory without the mark (being
 * made just now, or made before there was one), or of another user, is left alone too.
 */
public final class ScratchDirectories {

    static final String OWNER = "owner";
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
        clearLeftovers(Path.of(System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(prefix);
        Files.writeString(dir.resolve(OWNER), ownerLine(ProcessHandle.current()));
        return dir;
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
