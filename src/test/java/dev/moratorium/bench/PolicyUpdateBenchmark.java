package dev.moratorium.bench;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import dev.moratorium.store.PolicyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.flywaydb.core.Flyway;

/**
 * PostgreSQL's side of a writer's policy update, alone: the schema migrated by the service's own
 * migrations, 6,000 policies, then rounds of 500 single-row UPDATEs sent as one JDBC batch and
 * committed, as PolicyStore sends them (one in ten changing the status), under four variants of
 * what an update must maintain:
 * <ul>
 * <li>{@code v5}: the per-status counts by V5's statement-level trigger with transition tables;
 * <li>{@code v10}: by V10's row-level trigger that fires only when the status changes (the schema as shipped);
 * <li>{@code no-version-index}: v10 without the index on the version, so an update that changes no
 * indexed column can be HOT (what the access index's "changed since" would lose);
 * <li>{@code side-table}: v10 with the version in a narrow table of its own, updated in the same
 * batch, so the policy row can be HOT and "changed since" keeps an index.
 * </ul>
 * Each variant runs twice, interleaved, {@code rounds} measured rounds each after 5 unmeasured;
 * the median wall time of a round per variant, and its ratio to v10's. One JSON line, last.
 */
public final class PolicyUpdateBenchmark {

    private static final String UPDATE = PolicyStore.UPDATE;
    private static final String INSERT = PolicyStore.INSERT;
    private static final List<String> VARIANTS = List.of("v5", "v10", "no-version-index", "side-table");
    private static final int BATCH = 500;

    private final Random random = new Random(1);
    private final int policies;

    private PolicyUpdateBenchmark(int policies) {
        this.policies = policies;
    }

    public static void main(String[] args) throws Exception {
        int policies = Integer.getInteger("policies", 6000);
        int rounds = Integer.getInteger("rounds", 40);
        Json machine = BenchEnv.machine();
        System.out.println("== policy update: " + policies + " policies, " + rounds + " rounds of " + BATCH
                + " updates per variant and pass; machine " + machine);
        Path dir = Files.createTempDirectory("moratorium-policy-update-");
        Map<String, List<Double>> times = new LinkedHashMap<>();
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(0, dir.resolve("postgres"))) {
            OnExit.close(pg);
            String url = pg.jdbcUrl() + "&reWriteBatchedInserts=true";
            Flyway.configure().dataSource(url, EmbeddedPostgresServer.USER, null).locations("classpath:db/migration")
                    .load().migrate();
            PolicyUpdateBenchmark bench = new PolicyUpdateBenchmark(policies);
            try (Connection c = DriverManager.getConnection(url)) {
                c.setAutoCommit(false);
                bench.insertPolicies(c);
                for (int pass = 0; pass < 2; pass++) {
                    for (String variant : VARIANTS) {
                        bench.setUp(c, variant);
                        bench.rounds(c, variant, 5);
                        for (int i = 0; i < rounds; i++) {
                            long t = System.nanoTime();
                            bench.rounds(c, variant, 1);
                            times.computeIfAbsent(variant, v -> new ArrayList<>()).add((System.nanoTime() - t) / 1e6);
                        }
                    }
                }
            }
        }
        Json out = new Json().put("benchmark", "policy-update").put("policies", policies).put("rounds", rounds);
        double v10 = median(times.get("v10"));
        for (String variant : VARIANTS) {
            double m = median(times.get(variant));
            System.out.printf("%-18s median %6.2f ms per %d updates, %.2f x v10%n", variant, m, BATCH, m / v10);
            out.put(variant.replace('-', '_') + "_ms", Math.round(m * 100) / 100.0)
                    .put(variant.replace('-', '_') + "_vs_v10", Math.round(m / v10 * 1000) / 1000.0);
        }
        out.put("machine", machine);
        System.out.println(out);
    }

    private void insertPolicies(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            for (int i = 0; i < policies; i++) {
                bind(c, s, i, "ACTIVE");
                s.setTimestamp(19, new Timestamp(0));
                s.addBatch();
            }
            s.executeBatch();
        }
        c.commit();
    }

    /** From the schema as migrated (v10) to the variant; every variant starts from v10. */
    private void setUp(Connection c, String variant) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TRIGGER IF EXISTS policy_status_count_update ON policy");
            st.execute("DROP TRIGGER IF EXISTS policy_status_count_move ON policy");
            st.execute("CREATE TRIGGER policy_status_count_move AFTER UPDATE OF status ON policy FOR EACH ROW"
                    + " WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION policy_status_count_move()");
            st.execute("DROP TRIGGER IF EXISTS policy_version_trigger ON policy");
            st.execute("CREATE TRIGGER policy_version_trigger BEFORE INSERT OR UPDATE ON policy"
                    + " FOR EACH ROW EXECUTE FUNCTION policy_next_version()");
            st.execute("CREATE INDEX IF NOT EXISTS policy_version_idx ON policy (version)");
            switch (variant) {
                case "v5" -> {
                    st.execute("DROP TRIGGER policy_status_count_move ON policy");
                    st.execute("CREATE TRIGGER policy_status_count_update AFTER UPDATE ON policy"
                            + " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
                            + " FOR EACH STATEMENT EXECUTE FUNCTION policy_status_count_maintain()");
                }
                case "no-version-index" -> {
                    st.execute("DROP TRIGGER policy_version_trigger ON policy");
                    st.execute("DROP INDEX policy_version_idx");
                }
                case "side-table" -> {
                    st.execute("DROP TRIGGER policy_version_trigger ON policy");
                    st.execute("DROP INDEX policy_version_idx");
                    st.execute("CREATE TABLE IF NOT EXISTS policy_version_side (policy_id VARCHAR(128) PRIMARY KEY,"
                            + " version BIGINT NOT NULL)");
                    st.execute("CREATE INDEX IF NOT EXISTS policy_version_side_idx ON policy_version_side (version)");
                    st.execute("INSERT INTO policy_version_side SELECT policy_id, version FROM policy"
                            + " ON CONFLICT DO NOTHING");
                }
                default -> {
                    // v10: as migrated
                }
            }
        }
        c.commit();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE policy");
        }
        c.setAutoCommit(false);
    }

    private void rounds(Connection c, String variant, int n) throws SQLException {
        boolean inlineVersion = variant.equals("no-version-index");
        String sql = inlineVersion ? UPDATE.replace("updated_at = ?", "updated_at = ?, version = nextval('policy_version_seq')")
                : UPDATE;
        for (int k = 0; k < n; k++) {
            List<Integer> ids = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                ids.add(random.nextInt(policies));
            }
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int id : ids) {
                    bind(c, s, id, random.nextInt(10) == 0 ? "LIFTED" : "ACTIVE");
                    s.addBatch();
                }
                s.executeBatch();
            }
            if (variant.equals("side-table")) {
                try (PreparedStatement s = c.prepareStatement("UPDATE policy_version_side"
                        + " SET version = nextval('policy_version_seq') WHERE policy_id = ?")) {
                    for (int id : ids) {
                        s.setString(1, "policy-" + id);
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            c.commit();
        }
    }

    private static void bind(Connection c, PreparedStatement s, int i, String status) throws SQLException {
        Timestamp t = new Timestamp(1_591_747_200_000L); // 2020-06-10
        s.setString(1, "MORATORIUM");
        s.setString(2, "Amazon");
        s.setString(3, "Product " + (i % 2000));
        s.setString(4, "amazon");
        s.setString(5, "product " + (i % 2000));
        s.setString(6, "[\"police\"]");
        s.setArray(7, c.createArrayOf("text", new String[] {"police"}));
        s.setString(8, status);
        s.setTimestamp(9, t);
        s.setTimestamp(10, t);
        s.setTimestamp(11, null);
        s.setString(12, "US");
        s.setString(13, "Police use of face recognition");
        s.setString(14, "https://example.com/moratorium");
        s.setTimestamp(15, t);
        s.setTimestamp(16, i % 3 == 0 ? t : null);
        s.setTimestamp(17, t);
        s.setString(18, "policy-" + i);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
