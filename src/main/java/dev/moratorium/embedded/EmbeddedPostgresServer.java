package dev.moratorium.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A real PostgreSQL server (binaries from Maven Central, via zonky; the major version of
 * {@link PostgresMajor#EMBEDDED}, the deployment's) started from this JVM for dev mode and tests.
 * Its data directory is kept, so a restart resumes where it stopped.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    public static final String USER = "postgres";
    public static final String DATABASE = "postgres";

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param port the port, 0 for any free one
     * @throws Ports.PortTakenException if {@code port} is held by anything but a server we left on {@code dataDir}
     */
    public static EmbeddedPostgresServer start(int port, Path dataDir) throws IOException {
        return start(port, dataDir, Map.of());
    }

    /**
     * Stops the server a killed JVM left running on {@code dataDir}, if there is one (see
     * LeftoverPostgres: only a postgres process serving that very directory counts), for a caller
     * that clears a directory it will not start a server on again.
     *
     * @return the stopped server's pid
     */
    public static Optional<Long> stopLeftover(Path dataDir) throws InterruptedException {
        return LeftoverPostgres.stopFound(dataDir);
    }

    /**
     * @param settings server settings on top of (or instead of) the ones below, e.g. the benchmarks'
     *        {@code shared_preload_libraries} for pg_stat_statements
     */
    public static EmbeddedPostgresServer start(int port, Path dataDir, Map<String, String> settings) throws IOException {
        try {
            // A JVM killed with SIGKILL leaves its server running (see LeftoverPostgres): ours to stop.
            LeftoverPostgres.stopIfRunning(dataDir, port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the PostgreSQL left running on " + dataDir, e);
        }
        int chosen = port == 0 ? Ports.free() : Ports.requireFree(port, "embedded PostgreSQL",
                "moratorium.embedded.postgres-port (environment MORATORIUM_EMBEDDED_POSTGRES_PORT)");
        Files.createDirectories(dataDir);
        Optional<String> made = PostgresMajor.another(dataDir);
        if (made.isPresent()) {
            // EmbeddedInfrastructure sets such data aside; a caller of this class alone is told why.
            throw new IOException(dataDir + " holds the data of PostgreSQL " + made.get() + "; the embedded server is"
                    + " PostgreSQL " + PostgresMajor.EMBEDDED + ", which cannot open them");
        }
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(chosen)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                // Stopped by its owner, after the application's connections are closed, not in parallel with them.
                .setRegisterShutdownHook(false)
                .setServerConfig("max_connections", "100")
                .setServerConfig("fsync", "on")
                // zonky's default is off: a commit was acknowledged before its WAL left shared memory,
                // so a dev system killed whole (kill -9 of the server too) lost up to ~600 ms of commits
                // whose Kafka offsets could already be committed. As production's PostgreSQL: on.
                .setServerConfig("synchronous_commit", "on");
        settings.forEach(builder::setServerConfig);
        return new EmbeddedPostgresServer(builder.start());
    }

    public String jdbcUrl() {
        return postgres.getJdbcUrl(USER, DATABASE);
    }

    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
