package dev.moratorium.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * A PostgreSQL left running on our data directory by a JVM that was killed with SIGKILL.
 *
 * <p>Why it exists: {@code pg_ctl start} puts the server in its own session, so it outlives a
 * {@code kill -9} of the JVM (and of Maven's process group) and keeps the port and the data
 * directory; the next start would fail. Nothing else can own that server, so stopping it is safe.
 * Only a live postgres process serving our data directory counts: a pid file
 * whose pid is dead or belongs to another program is left to PostgreSQL, which ignores it.
 */
final class LeftoverPostgres {

    private static final Logger LOG = Logger.getLogger(LeftoverPostgres.class);
    private static final String PID_FILE = "postmaster.pid";
    /** SIGTERM is a "smart" shutdown; with the killed JVM's connections gone it takes about a second. */
    private static final Duration GRACE = Duration.ofSeconds(15);
    private static final Duration AFTER_KILL = Duration.ofSeconds(10);

    private final ProcessHandle postmaster;

    private LeftoverPostgres(ProcessHandle postmaster) {
        this.postmaster = postmaster;
    }

    /** The server still running on {@code dataDir}, if any. */
    static Optional<LeftoverPostgres> find(Path dataDir) {
        Path pidFile = dataDir.resolve(PID_FILE);
        List<String> lines;
        try {
            lines = Files.exists(pidFile) ? Files.readAllLines(pidFile) : List.of();
        } catch (IOException e) {
            return Optional.empty(); // unreadable: PostgreSQL itself will say what is wrong
        }
        if (lines.size() < 2) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).strip());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid)
                .filter(LeftoverPostgres::isRunning)
                .filter(p -> servesDirectory(p, dataDir, Path.of(lines.get(1).strip())))
                .map(LeftoverPostgres::new);
    }

    /** A recycled pid may belong to anything: require a postgres executable serving this very directory. */
    private static boolean servesDirectory(ProcessHandle process, Path dataDir, Path pidFileDir) {
        if (!sameDirectory(pidFileDir, dataDir)) {
            return false;
        }
        Optional<String> command = process.info().command();
        if (command.isEmpty() || !Path.of(command.get()).getFileName().toString().equals("postgres")) {
            return false;
        }
        return servedDirectory(process).map(served -> sameDirectory(served, dataDir)).orElse(false);
    }

    /**
     * The directory a postgres process serves: its working directory (the postmaster changes into
     * its data directory at start), else its {@code -D} argument when that is absolute (a relative
     * one is relative to a directory we cannot know).
     */
    private static Optional<Path> servedDirectory(ProcessHandle process) {
        try {
            return Optional.of(Path.of("/proc", String.valueOf(process.pid()), "cwd").toRealPath());
        } catch (IOException | SecurityException e) {
            String[] args = process.info().arguments().orElse(new String[0]);
            for (int i = 0; i + 1 < args.length; i++) {
                if (args[i].equals("-D") && Path.of(args[i + 1]).isAbsolute()) {
                    return Optional.of(Path.of(args[i + 1]));
                }
            }
            return Optional.empty();
        }
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    long pid() {
        return postmaster.pid();
    }

    /**
     * SIGTERM, then SIGKILL to the server and its backends if it has not stopped within the grace
     * period; returns once none of them is alive.
     */
    void stop() throws InterruptedException {
        List<ProcessHandle> backends = postmaster.descendants().toList();
        postmaster.destroy();
        if (!awaitExit(postmaster, GRACE)) {
            LOG.warnf("The leftover PostgreSQL (pid %d) ignored SIGTERM for %d s; sending SIGKILL", postmaster.pid(),
                    GRACE.toSeconds());
            postmaster.destroyForcibly();
            backends.forEach(ProcessHandle::destroyForcibly);
        }
        long deadline = System.nanoTime() + AFTER_KILL.toNanos();
        // Backends attached to the shared memory would make the next start refuse the data directory.
        for (ProcessHandle p : concat(postmaster, backends)) {
            if (!awaitExit(p, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                p.destroyForcibly();
                awaitExit(p, Duration.ofSeconds(2));
            }
        }
        if (isRunning(postmaster)) {
            throw new IllegalStateException("the leftover PostgreSQL (pid " + postmaster.pid() + ") did not stop");
        }
    }

    private static List<ProcessHandle> concat(ProcessHandle first, List<ProcessHandle> rest) {
        List<ProcessHandle> all = new java.util.ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static boolean awaitExit(ProcessHandle process, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(process)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /**
     * Alive and not a zombie: the server was re-parented when its JVM died, and an exited process
     * stays visible until its new parent reaps it.
     */
    private static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
            int afterName = stat.lastIndexOf(')');
            return afterName < 0 || afterName + 2 >= stat.length() || stat.charAt(afterName + 2) != 'Z';
        } catch (IOException e) {
            return process.isAlive(); // gone meanwhile, or no /proc (not Linux): isAlive is all there is
        }
    }

    /**
     * Stops the server left on {@code dataDir}, if there is one.
     *
     * @return the stopped server's pid
     */
    static Optional<Long> stopFound(Path dataDir) throws InterruptedException {
        Optional<LeftoverPostgres> leftover = find(dataDir);
        if (leftover.isPresent()) {
            leftover.get().stop();
        }
        return leftover.map(LeftoverPostgres::pid);
    }

    /** Stops the server left on {@code dataDir}, if there is one, before a start on it, saying so in one line. */
    static void stopIfRunning(Path dataDir, int port) throws InterruptedException {
        long started = System.nanoTime();
        Optional<Long> stopped = stopFound(dataDir);
        if (stopped.isEmpty()) {
            return;
        }
        if (port > 0) {
            Ports.awaitFree(port, Duration.ofSeconds(10)); // if it is still taken, the caller says so as usual
        }
        LOG.infof("Stopped the embedded PostgreSQL (pid %d) left running on %s by a killed JVM in %d ms;"
                + " starting it again", stopped.get(), dataDir.toAbsolutePath(),
                (System.nanoTime() - started) / 1_000_000);
    }
}
