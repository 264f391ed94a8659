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
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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

    @TempDir
    Path dir;

    @Test
    void keysWrittenBeforeAreFoldedAndLeaveOutWhatUnicodeIgnores() throws Exception {
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(0, dir.resolve("postgres"))) {
            String url = postgres.jdbcUrl();
            Flyway.configure().dataSource(url, EmbeddedPostgresServer.USER, null).locations("classpath:db/migration")
                    .target(MigrationVersion.fromVersion("23")).load().migrate();
            String longProduct = CAPITAL.repeat(150);
            assertThat(keyBefore("ΣΟΦΟΣ ΟΔΗΓΟΣ")).as("as keyed before").isEqualTo("σοφος οδηγος");
            assertThat(keyBefore("Amazon\uFE0F")).as("as keyed before").isEqualTo("amazon\ufe0f");
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

    /** A policy and one exemption, keyed as Names.key did before V24: the capital sharp s lowered to ß. */
    private static void insertAsAtV23(Connection c, String id, String vendor, String product, List<String> segments,
            String organization) throws Exception {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO policy (policy_id, kind, vendor, product, vendor_key,"
                + " product_key, segments, segment_keys, status, effective_from, evaluated_at, created_at, updated_at)"
                + " VALUES (?, 'MORATORIUM', ?, ?, ?, ?, ?::jsonb, ?, 'ACTIVE', now(), now(), now(), now())")) {
            p.setString(1, id);
            p.setString(2, vendor);
            p.setString(3, product);
            p.setString(4, keyBefore(vendor));
            p.setString(5, keyBefore(product));
            p.setString(6, "[\"" + String.join("\",\"", segments) + "\"]");
            p.setArray(7, c.createArrayOf("text", segments.stream().map(NameKeysMigrationTest::keyBefore).toArray()));
            p.executeUpdate();
        }
        try (PreparedStatement e = c.prepareStatement("INSERT INTO exemption (policy_id, position, organization,"
                + " organization_key) VALUES (?, 0, ?, ?)")) {
            e.setString(1, id);
            e.setString(2, organization);
            e.setString(3, keyBefore(organization));
            e.executeUpdate();
        }
    }

    /** Names.key as it was at V23 (3d4cc86), for names outside printable ASCII, whose key it did not change. */
    static String keyBefore(String name) {
        if (name.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
            return Names.key(name);
        }
        String normalized = Normalizer.normalize(name, Normalizer.Form.NFKC);
        StringBuilder kept = new StringBuilder();
        for (int i = 0; i < normalized.length(); i++) {
            char c = normalized.charAt(i);
            if (Character.getType(c) != Character.FORMAT) {
                kept.append(c);
            }
        }
        String folded = Normalizer.normalize(kept.toString().toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT),
                Normalizer.Form.NFKC);
        StringBuilder out = new StringBuilder();
        boolean space = false;
        for (int i = 0; i < folded.length(); i++) {
            char c = folded.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                space = true;
                continue;
            }
            if (space && out.length() > 0) {
                out.append(' ');
            }
            space = false;
            out.append(c);
        }
        return out.toString();
    }
}
