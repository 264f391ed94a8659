package dev.moratorium.bench;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import dev.moratorium.store.HeaderPreviews;
import dev.moratorium.store.RejectionReads;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * The dashboard's rejection list — the newest 25 open rejections, by the service's own statement
 * ({@link RejectionReads#list}) — over rejections of records that are nearly all headers (a hostile
 * producer's 2 MiB records). Two variants of the same rows, interleaved: {@code kept}, the header
 * preview cut once when the rejection was kept (V14, as the service now keeps them), and
 * {@code cut-at-read}, the preview and count NULL, as on rows kept before V14, so that every list
 * parses each row's whole headers column. The median wall time of a list per variant and the ratio
 * of the two; PostgreSQL does the work within it. One JSON line, last.
 */
public final class RejectionListBenchmark {

    private static final List<String> VARIANTS = List.of("kept", "cut-at-read");
    private static final int PAGE = 25;

    public static void main(String[] args) throws Exception {
        int rows = Integer.getInteger("rows", 100);
        int headers = Integer.getInteger("headers", 40);
        int headerBytes = Integer.getInteger("headerBytes", 40_000);
        int rounds = Integer.getInteger("rounds", 10);
        Json machine = BenchEnv.machine();
        System.out.println("== rejection list: " + rows + " rejections of " + headers + " headers of " + headerBytes
                + " bytes, the newest " + PAGE + " listed " + rounds + " times per variant and pass; machine " + machine);
        Path dir = Files.createTempDirectory("moratorium-rejection-list-");
        Map<String, List<Double>> times = new LinkedHashMap<>();
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(0, dir.resolve("postgres"))) {
            OnExit.close(pg);
            String url = pg.jdbcUrl();
            Flyway.configure().dataSource(url, EmbeddedPostgresServer.USER, null).locations("classpath:db/migration")
                    .load().migrate();
            try (Connection c = DriverManager.getConnection(url)) {
                c.setAutoCommit(false);
                String preview = insert(c, rows, headers, headerBytes);
                for (int pass = 0; pass < 2; pass++) {
                    for (String variant : VARIANTS) {
                        setUp(c, variant, preview, headers);
                        RejectionReads.list(c, "OPEN", true, Long.MAX_VALUE, PAGE, 2048); // one unmeasured
                        for (int i = 0; i < rounds; i++) {
                            long t = System.nanoTime();
                            List<RejectionReads.Listed> listed = RejectionReads.list(c, "OPEN", true, Long.MAX_VALUE,
                                    PAGE, 2048);
                            times.computeIfAbsent(variant, v -> new ArrayList<>()).add((System.nanoTime() - t) / 1e6);
                            check(listed, headers);
                        }
                        c.commit();
                    }
                }
            }
        }
        Json out = new Json().put("benchmark", "rejection-list").put("rows", rows).put("headers", headers)
                .put("header_bytes", headerBytes).put("rounds", rounds);
        double kept = median(times.get("kept"));
        for (String variant : VARIANTS) {
            double m = median(times.get(variant));
            System.out.printf("%-12s median %8.2f ms per list of %d, %.1f x kept%n", variant, m, PAGE, m / kept);
            out.put(variant.replace('-', '_') + "_ms", Math.round(m * 100) / 100.0);
        }
        out.put("ratio_cut_at_read_vs_kept", Math.round(median(times.get("cut-at-read")) / kept * 10) / 10.0);
        out.put("machine", machine);
        System.out.println(out);
    }

    /** The rows, each with the preview kept; returns that preview. */
    private static String insert(Connection c, int rows, int headers, int headerBytes) throws SQLException {
        List<RawHeader> list = new ArrayList<>();
        byte[] value = new byte[headerBytes];
        Arrays.fill(value, (byte) 'w');
        for (int i = 0; i < headers; i++) {
            list.add(new RawHeader("x-" + i, value));
        }
        String encoded = HeaderCodec.encode(list);
        String preview = HeaderPreviews.stored(HeaderPreviews.of(list));
        try (PreparedStatement s = c.prepareStatement("INSERT INTO rejection (id, topic, kafka_partition, kafka_offset,"
                + " record_key, record_value, headers, header_preview, header_count, reason_code, reason_message,"
                + " received_at, status) VALUES (?, 'policy-changes', 0, ?, ?, ?, ?::json, ?::json, ?, 'unknown-policy',"
                + " 'no policy has been announced', ?, 'OPEN')")) {
            for (int i = 1; i <= rows; i++) {
                s.setLong(1, i);
                s.setLong(2, i);
                s.setBytes(3, ("nope-" + i).getBytes(StandardCharsets.UTF_8));
                s.setBytes(4, "{}".getBytes(StandardCharsets.UTF_8));
                s.setString(5, encoded);
                s.setString(6, preview);
                s.setInt(7, headers);
                s.setTimestamp(8, new Timestamp(System.currentTimeMillis()));
                s.executeUpdate();
            }
        }
        c.commit();
        return preview;
    }

    /** Both variants hold the same rows; only the kept preview differs. */
    private static void setUp(Connection c, String variant, String preview, int headers) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE rejection SET header_preview = ?::json, header_count = ?")) {
            boolean kept = variant.equals("kept");
            s.setString(1, kept ? preview : null);
            s.setObject(2, kept ? headers : null, java.sql.Types.INTEGER);
            s.executeUpdate();
        }
        c.commit();
        c.setAutoCommit(true); // VACUUM runs outside a transaction
        try (Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE rejection");
        }
        c.setAutoCommit(false);
    }

    private static void check(List<RejectionReads.Listed> listed, int headers) {
        if (listed.size() != PAGE || listed.get(0).headers().count() != headers
                || listed.get(0).headers().shown().size() != Math.min(headers, HeaderPreviews.MAX_HEADERS)) {
            throw new IllegalStateException("the list is not what was kept: " + listed.size() + " rows");
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
