package dev.moratorium.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit the embedded PostgreSQL acknowledged survives {@code kill -9} of the server itself and
 * all its processes, the way a whole dev system dies. zonky's default, {@code synchronous_commit=off},
 * acknowledged a commit while its WAL was still in shared memory: killed within the WAL writer's
 * delay (up to about 600 ms), the server came back without it, and the Kafka offsets the service
 * had committed meanwhile pointed past events the store no longer held.
 */
class EmbeddedPostgresDurabilityTest {

    private static final int COMMITS = 50;

    @TempDir
    Path dir;

    @Test
    void commitsAcknowledgedJustBeforeTheWholeServerIsKilledAreThereAfterTheRestart() throws Exception {
        Path data = dir.resolve("postgres");
        int port = Ports.free();
        EmbeddedPostgresServer first = EmbeddedPostgresServer.start(port, data);
        try (Connection c = DriverManager.getConnection(first.jdbcUrl()); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("on");
            }
            s.execute("CREATE TABLE acknowledged (n int PRIMARY KEY)");
            for (int n = 1; n <= COMMITS; n++) {
                s.execute("INSERT INTO acknowledged VALUES (" + n + ")"); // auto-commit: one transaction each
            }
            killWholeServer(data); // at once after the last acknowledgement, the connection still open
        }
        closeDead(first);
        try (EmbeddedPostgresServer again = EmbeddedPostgresServer.start(port, data);
                Connection c = DriverManager.getConnection(again.jdbcUrl());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*), max(n) FROM acknowledged")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).as("acknowledged commits after kill -9 and crash recovery").isEqualTo(COMMITS);
            assertThat(rs.getInt(2)).isEqualTo(COMMITS);
        }
    }

    /** Releases zonky's lock on the directory; its {@code pg_ctl stop} finds no server, as expected. */
    private static void closeDead(EmbeddedPostgresServer killed) {
        try {
            killed.close();
        } catch (Exception expected) {
            // the server is gone already
        }
    }

    /** SIGKILL to the postmaster and every process it started (WAL writer, backends) at once. */
    private static void killWholeServer(Path data) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            p.onExit().get(30, TimeUnit.SECONDS);
        }
    }
}
