package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.testing.Events;
import dev.moratorium.testing.LogCapture;
import dev.moratorium.testing.TestKafka;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * A failover that leaves the pooled connections on a server that no longer takes writes — a primary
 * demoted to a standby, an Aurora writer turned reader — while a new connection reaches the new
 * primary. Here one PostgreSQL plays both: every session open at the moment turns read-only (the
 * server's {@code default_transaction_read_only}, reloaded), while a session opened afterwards is
 * writable (the same setting for the service's role, which only new sessions read). Before, the
 * service retried the batch on the same read-only connections for as long as they lived: the next
 * announcement was not applied (not within the test's 30 s). Now the first refusal renews the pool, and
 * it is applied; and while new sessions are refused too, the pool is renewed every 2 s but said once.
 */
@QuarkusTest
class DatabaseFailoverTest {

    @Inject
    AgroalDataSource dataSource;

    @Test
    void connectionsLeftOnAServerThatNoLongerTakesWritesAreRenewedAndIngestGoesOn() throws Exception {
        String before = "failover-before";
        TestKafka.sendStructured(before, Events.announce(before + "-announced", before, "2020-06-10T00:00:00Z", null));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/moratoria/" + before).then().statusCode(200));
        String role = scalar(dataSource.getConnection(), "SELECT current_user");
        try (LogCapture log = new LogCapture(); Connection open = direct()) {
            try (Connection admin = admin(); Statement s = admin.createStatement()) {
                s.execute("ALTER ROLE \"" + role + "\" SET default_transaction_read_only = off");
                s.execute("ALTER SYSTEM SET default_transaction_read_only = on");
                s.execute("SELECT pg_reload_conf()");
            }
            // A session open before, as the pool's are, turns read-only; a new one is not. (Not asked of
            // the pool itself: the relay's next round may already have met the refusal and renewed it.)
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(show(open, "transaction_read_only"))
                    .as("a session open before, as on the old server").isEqualTo("on"));
            try (Connection fresh = direct()) {
                assertThat(show(fresh, "transaction_read_only")).as("a new connection").isEqualTo("off");
            }
            String after = "failover-after";
            long sent = System.nanoTime();
            TestKafka.sendStructured(after, Events.announce(after + "-announced", after, "2020-06-10T00:00:00Z", null));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/moratoria/" + after).then()
                    .statusCode(200));
            System.out.printf("database failover: the announcement sent after it applied in %d ms%n",
                    Duration.ofNanos(System.nanoTime() - sent).toMillis());
            assertThat(scalar(dataSource.getConnection(), "SHOW transaction_read_only")).as("pooled, renewed")
                    .isEqualTo("off");
            assertThat(log.warnings(RENEWER))
                    .anyMatch(m -> m.startsWith("The database refused a write as read-only (SQLState 25006)"));

            // Longer: the address still reaches the read-only server, so new sessions are read-only too.
            // The pool is renewed every 2 s meanwhile, and the log says so once a minute, not each time.
            int warned = log.warnings(RENEWER).size();
            double renewed = renewals();
            String openPid = scalarOf(open, "SELECT pg_backend_pid()");
            try (Connection admin = admin(); Statement s = admin.createStatement()) {
                s.execute("ALTER ROLE \"" + role + "\" RESET default_transaction_read_only"); // new sessions: read-only
                // the pool's sessions, writable since their start, ended: the ones it opens instead are read-only
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = current_user"
                        + " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> " + openPid);
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(renewals() - renewed)
                    .as("renewals while every session is read-only").isGreaterThanOrEqualTo(3));
            assertThat(log.warnings(RENEWER).size() - warned).as("WARN lines for those renewals").isLessThanOrEqualTo(1);
            try (Connection admin = admin(); Statement s = admin.createStatement()) {
                s.execute("ALTER SYSTEM RESET default_transaction_read_only");
                s.execute("SELECT pg_reload_conf()");
            }
            String later = "failover-later";
            TestKafka.sendStructured(later, Events.announce(later + "-announced", later, "2020-06-10T00:00:00Z", null));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/moratoria/" + later).then()
                    .statusCode(200));
        } finally {
            try (Connection admin = admin(); Statement s = admin.createStatement()) {
                s.execute("ALTER SYSTEM RESET default_transaction_read_only");
                s.execute("ALTER ROLE \"" + role + "\" RESET default_transaction_read_only");
                s.execute("SELECT pg_reload_conf()");
            }
        }
    }

    private static final String RENEWER = "dev.moratorium.store.ReadOnlyConnections";

    private static double renewals() {
        return given().get("/q/metrics").asString().lines().filter(l -> l.startsWith("moratorium_database_pool_renewals_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The first column of the query's first row; the connection stays open. */
    private static String scalarOf(Connection connection, String sql) throws Exception {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * A connection of its own that writes whatever the server's defaults say at the moment: the
     * settings must be put back also when the test failed with every new session read-only.
     */
    private static Connection admin() throws Exception {
        Connection c = direct();
        try (Statement s = c.createStatement()) {
            s.execute("SET default_transaction_read_only = off");
        }
        return c;
    }

    /** A connection of its own, outside the service's pool, as the service's user. */
    private static Connection direct() throws Exception {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
    }

    /** A setting as the session sees it; the connection stays open. */
    private static String show(Connection connection, String setting) throws Exception {
        return scalarOf(connection, "SHOW " + setting);
    }

    /** The first column of the query's first row, the connection closed (given back to its pool) after. */
    private static String scalar(Connection connection, String sql) throws Exception {
        try (connection; Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
