package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migrations refuse a database that is not UTF8 before they write anything (Utf8DatabaseCheck):
 * V24's normalize() works only in UTF8, and in LATIN1 the service stopped at V24 with V1 to V23
 * applied. A UTF8 database migrates as before.
 */
class DatabaseEncodingTest {

    @TempDir
    Path dir;

    @Test
    void aDatabaseNotInUtf8IsRefusedBeforeAnythingIsWritten() throws Exception {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(0, dir.resolve("postgres"))) {
            String url = postgres.jdbcUrl();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
            }
            String latin = url.replaceFirst("/postgres(\\?|$)", "/latin$1");
            assertThat(latin).isNotEqualTo(url);

            assertThatThrownBy(() -> migrate(latin)).isInstanceOf(FlywayException.class)
                    .hasMessageContaining("The database \"latin\" is encoded in LATIN1; the service needs a UTF8 database");
            assertThat(tables(latin, "policy")).as("no migration applied").isZero();

            migrate(url);
            assertThat(tables(url, "policy")).isOne();
        }
    }

    private static void migrate(String url) {
        Flyway.configure().dataSource(url, EmbeddedPostgresServer.USER, null).locations("classpath:db/migration")
                .callbacks(new Utf8DatabaseCheck()).load().migrate();
    }

    private static int tables(String url, String name) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_name = '"
                        + name + "'")) {
            r.next();
            return r.getInt(1);
        }
    }
}
