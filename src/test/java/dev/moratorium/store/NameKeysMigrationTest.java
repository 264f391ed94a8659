package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.embedded.EmbeddedPostgresServer;
import dev.moratorium.policy.Names;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * V24 makes again the keys an earlier Names.key wrote for names with a capital sharp s (U+1E9E), a
 * final sigma or a character Unicode ignores by default (a variation selector, a Hangul filler, a
 * tag): rows written at V23, as a service of then keyed them, read after the migration by
 * the keys the service computes now. A key that would outgrow its column is left as it was, and the migration
 * still ends (a failed migration is a service that cannot start).
 */
class NameKeysMigrationTest {

    private static final String CAPITAL = "\u1e9e";

    /**
     * Each name of the test with the key V23's Names.key stored for it: the capital sharp s lowered
     * to ß and left so, a sigma that ends a word as ς, the ignorable characters other than format
     * characters kept (a Hangul filler as NFKC writes it, U+1160), and tags outside the BMP kept.
     */
    private static final Map<String, String> KEYED_AT_V23 = Map.ofEntries(
            Map.entry("GRO" + CAPITAL + " AG", "gro\u00df ag"), Map.entry("Vision", "vision"),
            Map.entry(CAPITAL + "TATE", "\u00dftate"), Map.entry("police", "police"), Map.entry("ORG" + CAPITAL, "org\u00df"),
            Map.entry("Acme", "acme"), Map.entry(CAPITAL.repeat(150), "\u00df".repeat(150)), Map.entry("Thorn", "thorn"),
            Map.entry("Stra\u00dfe", "strasse"), Map.entry("Lens", "lens"),
            Map.entry("ΟΔΟΣ", "οδος"), Map.entry("ΣΟΦΟΣ ΟΔΗΓΟΣ", "σοφος οδηγος"), Map.entry("ΑΣΤΥΝΟΜΙΑ", "αστυνομια"),
            Map.entry("ΛΙΜΕΝΙΚΟΣ", "λιμενικος"), Map.entry("ΜΗ ΚΥΒΕΡΝΗΤΙΚΟΣ", "μη κυβερνητικος"),
            Map.entry("Amazon\uFE0F", "amazon\ufe0f"),
            Map.entry("Re\u034Fkognition\uDB40\uDC20", "re\u034fkognition\uDB40\uDC20"),
            Map.entry("police \u3164 unit", "police \u1160 unit"), Map.entry("\uDB40\uDD00police", "\uDB40\uDD00police"),
            Map.entry("Thorn\u115F", "thorn\u115f"));

    @TempDir
    Path dir;

    @Test
    void keysWrittenBeforeAreFoldedAndLeaveOutWhatUnicodeIgnores() throws Exception {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(0, dir.resolve("postgres"))) {
            String url = postgres.jdbcUrl();
            Flyway.configure().dataSource(url, EmbeddedPostgresServer.USER, null).locations("classpath:db/migration")
                    .target(MigrationVersion.fromVersion("23")).load().migrate();
            String longProduct = CAPITAL.repeat(150);
            try (Connection c = DriverManager.getConnection(url)) {
                insertAsAtV23(c, "sharp", "GRO" + CAPITAL + " AG", "Vision", List.of(CAPITAL + "TATE", "police"),
                        "ORG" + CAPITAL);
                insertAsAtV23(c, "too-long", "Acme", longProduct, List.of("police"), "Thorn");
                insertAsAtV23(c, "plain", "Straße", "Lens", List.of("police"), "Thorn");
                insertAsAtV23(c, "sigma", "ΟΔΟΣ", "ΣΟΦΟΣ ΟΔΗΓΟΣ", List.of("ΑΣΤΥΝΟΜΙΑ", "ΛΙΜΕΝΙΚΟΣ"), "ΜΗ ΚΥΒΕΡΝΗΤΙΚΟΣ");
                insertAsAtV23(c, "hidden", "Amazon\uFE0F", "Re\u034Fkognition\uDB40\uDC20", List.of("police \u3164 unit",
                        "\uDB40\uDD00police"), "Thorn\u115F");
            }
            Flyway.configure().dataSource(url, EmbeddedPostgresServer.USER, null).locations("classpath:db/migration")
                    .load().migrate();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT p.policy_id, vendor_key, product_key, segment_keys, organization_key"
                            + " FROM policy p JOIN exemption e ON e.policy_id = p.policy_id ORDER BY p.policy_id")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo("hidden");
                assertThat(r.getString(2)).isEqualTo("amazon").isEqualTo(Names.key("Amazon\uFE0F"));
                assertThat(r.getString(3)).isEqualTo("rekognition").isEqualTo(Names.key("Re\u034Fkognition\uDB40\uDC20"));
                assertThat(Arrays.asList((String[]) r.getArray(4).getArray())).containsExactly("police unit", "police")
                        .containsExactly(Names.key("police \u3164 unit"), Names.key("\uDB40\uDD00police"));
                assertThat(r.getString(5)).isEqualTo("thorn").isEqualTo(Names.key("Thorn\u115F"));
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo("plain");
                assertThat(r.getString(2)).isEqualTo("strasse").isEqualTo(Names.key("Straße"));
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo("sharp");
                assertThat(r.getString(2)).isEqualTo("gross ag").isEqualTo(Names.key("GRO" + CAPITAL + " AG"))
                        .isEqualTo(Names.key("Gross AG")).isEqualTo(Names.key("groß ag"));
                assertThat(Arrays.asList((String[]) r.getArray(4).getArray())).containsExactly("sstate", "police");
                assertThat(r.getString(5)).isEqualTo("orgss").isEqualTo(Names.key("ORG" + CAPITAL));
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo("sigma");
                assertThat(r.getString(2)).isEqualTo("οδοσ").isEqualTo(Names.key("ΟΔΟΣ")).isEqualTo(Names.key("οδος"));
                assertThat(r.getString(3)).isEqualTo("σοφοσ οδηγοσ").isEqualTo(Names.key("ΣΟΦΟΣ ΟΔΗΓΟΣ"));
                assertThat(Arrays.asList((String[]) r.getArray(4).getArray())).containsExactly("αστυνομια", "λιμενικοσ");
                assertThat(r.getString(5)).isEqualTo("μη κυβερνητικοσ").isEqualTo(Names.key("ΜΗ ΚΥΒΕΡΝΗΤΙΚΟΣ"));
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo("too-long");
                assertThat(r.getString(3)).as("300 characters would not fit: left as it was").isEqualTo("\u00df".repeat(150));
            }
        }
    }

    /** A policy and one exemption, keyed as V23 stored them ({@link #KEYED_AT_V23}). */
    private static void insertAsAtV23(Connection c, String id, String vendor, String product, List<String> segments,
            String organization) throws Exception {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO policy (policy_id, kind, vendor, product, vendor_key,"
                + " product_key, segments, segment_keys, status, effective_from, evaluated_at, created_at, updated_at)"
                + " VALUES (?, 'MORATORIUM', ?, ?, ?, ?, ?::jsonb, ?, 'ACTIVE', now(), now(), now(), now())")) {
            p.setString(1, id);
            p.setString(2, vendor);
            p.setString(3, product);
            p.setString(4, KEYED_AT_V23.get(vendor));
            p.setString(5, KEYED_AT_V23.get(product));
            p.setString(6, "[\"" + String.join("\",\"", segments) + "\"]");
            p.setArray(7, c.createArrayOf("text", segments.stream().map(KEYED_AT_V23::get).toArray()));
            p.executeUpdate();
        }
        try (PreparedStatement e = c.prepareStatement("INSERT INTO exemption (policy_id, position, organization,"
                + " organization_key) VALUES (?, 0, ?, ?)")) {
            e.setString(1, id);
            e.setString(2, organization);
            e.setString(3, KEYED_AT_V23.get(organization));
            e.executeUpdate();
        }
    }
}
