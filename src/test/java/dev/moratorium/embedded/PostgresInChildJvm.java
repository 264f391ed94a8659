package dev.moratorium.embedded;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * Run by {@link LeftoverPostgresTest} as a separate JVM: starts the embedded PostgreSQL on the
 * given port and directory, writes a row, says {@code READY} and waits to be killed.
 */
public final class PostgresInChildJvm {

    private PostgresInChildJvm() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(Integer.parseInt(args[0]), Path.of(args[1]));
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS survivor (note text)");
            s.execute("INSERT INTO survivor VALUES ('written before SIGKILL')");
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
