package dev.moratorium.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL after its JVM is killed with SIGKILL: the server outlives it (it runs in
 * its own session), and the next start on the same directory and port stops it and starts again.
 */
class LeftoverPostgresTest {

    @TempDir
    Path dir;

    @Test
    void aServerLeftByAKilledJvmIsStoppedAndTheNextStartSucceeds() throws Exception {
        Path data = dir.resolve("postgres");
        int port = Ports.free();
        Process child = new ProcessBuilder(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                PostgresInChildJvm.class.getName(), String.valueOf(port), data.toString()))
                .redirectErrorStream(true).start();
        try {
            awaitReady(child);
            child.destroyForcibly(); // SIGKILL: no shutdown hook, the server is not stopped
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            assertThat(LeftoverPostgres.find(data)).as("the server outlived its JVM").isPresent();
            assertThat(Ports.isFree(port)).as("and still holds the port").isFalse();

            try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(port, data);
                    Connection c = DriverManager.getConnection(postgres.jdbcUrl());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT note FROM survivor")) {
                assertThat(postgres.port()).isEqualTo(port);
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("written before SIGKILL");
            }
            assertThat(LeftoverPostgres.find(data)).as("nothing left after a normal stop").isEmpty();
        } finally {
            child.destroyForcibly();
            LeftoverPostgres.find(data).ifPresent(p -> {
                try {
                    p.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    @Test
    void aPidFileNamingALiveProcessThatIsNotOurPostgresIsIgnored() throws Exception {
        Path data = Files.createDirectories(dir.resolve("postgres"));
        // This JVM is alive, but it is not a postgres serving the directory: it must never be stopped.
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n"
                + data.toAbsolutePath() + "\n1700000000\n5432\n");
        assertThat(LeftoverPostgres.find(data)).isEmpty();

        Files.writeString(data.resolve("postmaster.pid"), "2147483646\n" + data.toAbsolutePath() + "\n");
        assertThat(LeftoverPostgres.find(data)).as("a dead pid").isEmpty();
    }

    @Test
    void aPortHeldByAnythingElseStillGivesThePortTakenSentence() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = other.getLocalPort();
            assertThatThrownBy(() -> EmbeddedPostgresServer.start(port, dir.resolve("postgres")))
                    .isInstanceOf(Ports.PortTakenException.class)
                    .hasMessageStartingWith("Port " + port + " for the embedded PostgreSQL is already in use");
        }
    }

    private static void awaitReady(Process child) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null;) {
                    if (line.equals("READY")) {
                        return true;
                    }
                    seen.append(line).append('\n');
                }
            } catch (java.io.IOException e) {
                // the child died: reported below
            }
            return false;
        });
        assertThat(ready.get(180, TimeUnit.SECONDS)).as("child JVM started PostgreSQL; it printed:\n" + seen).isTrue();
        // Keep draining, so the child never blocks on a full pipe.
        CompletableFuture.runAsync(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (java.io.IOException e) {
                // closed
            }
        });
    }

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
