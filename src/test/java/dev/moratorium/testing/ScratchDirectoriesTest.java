package dev.moratorium.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import dev.moratorium.embedded.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a killed run leaves is cleared by the next one: a directory whose JVM is gone, with the
 * PostgreSQL still running on it (as pg_ctl leaves it after a kill -9), is stopped and deleted;
 * a directory of a live JVM, one without a mark, one whose pid now belongs to another process,
 * one of another user and one of another name are told apart; a packaged service whose JVM is
 * gone is stopped, and no other process.
 */
class ScratchDirectoriesTest {

    private Path root;
    private EmbeddedPostgresServer orphaned;

    @AfterEach
    void cleanUp() throws Exception {
        if (orphaned != null) {
            orphaned.close();
        }
        ScratchDirectories.deleteQuietly(root);
    }

    @Test
    void aDirectoryWhoseJvmIsGoneIsClearedWithThePostgresqlLeftOnIt() throws Exception {
        root = Files.createTempDirectory("scratch-root-");
        String gone = goneOwner();

        Path leftover = mark(root.resolve("moratorium-test-1"), gone);
        orphaned = EmbeddedPostgresServer.start(Ports.free(), leftover.resolve("postgres"));
        long postmaster = Long.parseLong(Files.readAllLines(leftover.resolve("postgres/postmaster.pid")).get(0).strip());
        Path deadWithoutServer = mark(root.resolve("moratorium-bench-2"), gone);
        Path live = mark(root.resolve("moratorium-reliability-3"), ScratchDirectories.ownerLine(ProcessHandle.current()));
        Path recycledPid = mark(root.resolve("moratorium-test-4"), ProcessHandle.current().pid() + " 12345");
        Path unmarked = Files.createDirectories(root.resolve("moratorium-test-5"));
        Path notOurs = mark(root.resolve("someone-else-6"), gone);

        List<Path> cleared = ScratchDirectories.clearLeftovers(root);

        assertThat(cleared).containsExactlyInAnyOrder(leftover, deadWithoutServer, recycledPid);
        assertThat(ProcessHandle.of(postmaster).map(this::exited).orElse(true)).as("its PostgreSQL stopped").isTrue();
        assertThat(leftover).doesNotExist();
        assertThat(deadWithoutServer).doesNotExist();
        assertThat(recycledPid).as("the pid is alive, but started at another instant").doesNotExist();
        assertThat(live).as("a live JVM's").exists();
        assertThat(unmarked).as("being made, or made before the mark").exists();
        assertThat(notOurs).exists();
        orphaned = null; // stopped by the clearing
    }

    @Test
    void anotherUsersDirectoryIsTheirs() throws Exception {
        root = Files.createTempDirectory("scratch-root-");
        Path theirs = mark(root.resolve("moratorium-test-7"), goneOwner());
        UserPrincipal nobody;
        try {
            nobody = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(theirs, nobody);
        } catch (IOException | UnsupportedOperationException e) {
            Assumptions.abort("giving a directory to another user needs root: " + e.getMessage());
            return;
        }
        assertThat(ScratchDirectories.clearLeftovers(root)).isEmpty();
        assertThat(theirs).exists();
    }

    @Test
    void aPackagedServiceWhoseJvmIsGoneIsStoppedAndNoOtherProcess() throws Exception {
        Process orphan = marked(goneOwner());
        Process live = marked(ScratchDirectories.ownerLine(ProcessHandle.current()));
        Process unmarked = new ProcessBuilder("sleep", "300").start();
        try {
            assertThat(ScratchDirectories.markOf(orphan.toHandle())).isPresent();
            ScratchDirectories.stopLeftoverServices();
            // by this call, or by another test JVM's start meanwhile: either way, stopped
            assertThat(orphan.waitFor(15, TimeUnit.SECONDS)).as("the orphan stopped").isTrue();
            assertThat(live.isAlive()).as("a live JVM's service").isTrue();
            assertThat(unmarked.isAlive()).as("a process without the mark").isTrue();
            assertThat(ScratchDirectories.stopLeftoverServices()).doesNotContain(live.pid(), unmarked.pid());
        } finally {
            for (Process p : List.of(orphan, live, unmarked)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aMarkNamesThisJvmWhileItRuns() {
        String mine = ScratchDirectories.ownerLine(ProcessHandle.current());
        assertThat(ScratchDirectories.alive(mine)).isTrue();
        assertThat(ScratchDirectories.alive(ProcessHandle.current().pid() + " 12345")).isFalse();
        assertThat(ScratchDirectories.alive("not a mark")).as("not ours to judge").isTrue();
    }

    /** The mark of a process that has exited: its pid and start instant, taken while it ran. */
    private static String goneOwner() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        String line = ScratchDirectories.ownerLine(p.toHandle());
        p.destroy();
        p.waitFor();
        assertThat(line).doesNotEndWith(" -1");
        return line;
    }

    /** A process marked as a packaged service of the JVM {@code owner} names. */
    private static Process marked(String owner) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sleep", "300");
        builder.environment().put(ScratchDirectories.OWNER_VARIABLE, owner);
        return builder.start();
    }

    private static Path mark(Path dir, String owner) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(ScratchDirectories.OWNER), owner);
        return dir;
    }

    private boolean exited(ProcessHandle p) {
        try {
            p.onExit().get(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return !p.isAlive();
        }
    }
}
