package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The settings every session of the service's pool starts with (application.properties, the
 * driver's {@code options}), and the check of the database the migrations run before; what PostgreSQL does with an idle transaction's timeout is tested
 * where the writers set a shorter one (WriterLockTimeoutTest).
 */
@QuarkusTest
class PooledSessionSettingsTest {

    @Inject
    AgroalDataSource dataSource;

    @Inject
    Flyway flyway;

    @Test
    void everyPooledSessionEndsATransactionLeftIdleForAMinute() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_setting('idle_in_transaction_session_timeout'),"
                        + " current_setting('random_page_cost')")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).as("a frozen replica's row locks last a minute at most").isEqualTo("1min");
            assertThat(rs.getString(2)).as("plans for the tables as they grow").isEqualTo("1.1");
        }
    }

    /** What DatabaseEncodingTest checks with a LATIN1 database is what the start runs (quarkus.flyway.callbacks). */
    @Test
    void theMigrationsAtStartRefuseADatabaseNotInUtf8() {
        assertThat(flyway.getConfiguration().getCallbacks()).hasAtLeastOneElementOfType(Utf8DatabaseCheck.class);
    }
}
