package dev.moratorium.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL is the deployment's major version, and embedded data an earlier major
 * made (every dev run before the binaries moved from 14 to 16 left some in {@code target/embedded})
 * no longer stop the next start: they are set aside whole, where the developer can still find them.
 */
class PostgresMajorTest {

    private static final Pattern COMPOSE_IMAGE = Pattern.compile("image:\\s*postgres:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void theEmbeddedServerRunsTheMajorTheDeploymentRuns() throws Exception {
        Matcher compose = COMPOSE_IMAGE.matcher(Files.readString(Path.of("docker", "docker-compose.yml")));
        assertThat(compose.find()).as("docker-compose.yml names a postgres image").isTrue();
        assertThat(PostgresMajor.EMBEDDED).isEqualTo(compose.group(1));

        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(0, dir.resolve("postgres"))) {
            assertThat(serverMajor(postgres)).as("the server the binaries start").isEqualTo(PostgresMajor.EMBEDDED);
            assertThat(PostgresMajor.madeBy(dir.resolve("postgres"))).contains(PostgresMajor.EMBEDDED);
        }
    }

    @Test
    void dataAnEarlierMajorMadeAreSetAsideWholeAndTheSystemStartsOnEmptyOnes() throws Exception {
        Path data = dir.resolve("embedded");
        madeByMajor(data.resolve("postgres"), "14");
        Files.createDirectories(data.resolve("kafka"));
        Files.writeString(data.resolve("kafka").resolve("old-offsets"), "offsets beside the old database\n");

        try (EmbeddedInfrastructure infrastructure = EmbeddedInfrastructure.start(0, 0, data, 1)) {
            assertThat(serverMajor(infrastructure.postgres())).isEqualTo(PostgresMajor.EMBEDDED);
        }
        Path aside = dir.resolve("embedded-postgresql-14");
        assertThat(PostgresMajor.madeBy(aside.resolve("postgres"))).as("the old database, kept").contains("14");
        assertThat(aside.resolve("postgres").resolve("base").resolve("old-table")).exists();
        assertThat(aside.resolve("kafka").resolve("old-offsets"))
                .as("the broker's data went with the database they describe").hasContent("offsets beside the old database");
        assertThat(PostgresMajor.madeBy(data.resolve("postgres"))).contains(PostgresMajor.EMBEDDED);
        assertThat(data.resolve("kafka").resolve("old-offsets")).doesNotExist();
    }

    @Test
    void dataOfTheEmbeddedMajorOrOfNoneStayWhereTheyAre() throws Exception {
        Path ours = dir.resolve("ours");
        madeByMajor(ours.resolve("postgres"), PostgresMajor.EMBEDDED);
        Path fresh = dir.resolve("fresh");

        assertThat(PostgresMajor.setAsideIfAnother(ours, 0)).isEmpty();
        assertThat(PostgresMajor.setAsideIfAnother(fresh, 0)).isEmpty();
        assertThat(ours.resolve("postgres").resolve("PG_VERSION")).exists();
        assertThat(fresh).doesNotExist();
    }

    @Test
    void aSecondSetAsideOfTheSameMajorTakesTheNextFreeName() throws Exception {
        assertThat(setAsideMadeBy("14")).contains(dir.resolve("embedded-postgresql-14"));
        assertThat(setAsideMadeBy("14")).contains(dir.resolve("embedded-postgresql-14-2"));
        assertThat(dir.resolve("embedded")).doesNotExist();
    }

    @Test
    void aVersionFileThatIsNotANumberCannotNameADirectoryOutsideItsParent() throws Exception {
        assertThat(setAsideMadeBy("../../x")).contains(dir.resolve("embedded-postgresql-....x"));
    }

    private Optional<Path> setAsideMadeBy(String major) throws Exception {
        Path data = dir.resolve("embedded");
        madeByMajor(data.resolve("postgres"), major);
        return PostgresMajor.setAsideIfAnother(data, 0);
    }

    @Test
    void aDamagedVersionFileIsReadAsBytesAndTheDataSetAsideUnderAPlainName() throws Exception {
        Path data = dir.resolve("embedded");
        madeByMajor(data.resolve("postgres"), "14");
        // not UTF-8, a NUL, a zero-width space, and more than any version's length
        byte[] damaged = new byte[4096];
        Arrays.fill(damaged, (byte) '9');
        byte[] head = {(byte) 0xC3, 0x28, 0, (byte) 0xE2, (byte) 0x80, (byte) 0x8B, '1', '4'};
        System.arraycopy(head, 0, damaged, 0, head.length);
        Files.write(data.resolve("postgres").resolve("PG_VERSION"), damaged);

        assertThat(PostgresMajor.madeBy(data.resolve("postgres")).orElseThrow()).hasSize(64);
        assertThat(PostgresMajor.setAsideIfAnother(data, 0))
                .contains(dir.resolve("embedded-postgresql-1499999999999999"));
    }

    @Test
    void theServerAloneRefusesAnotherMajorsDataWithASentenceThatSaysSo() throws Exception {
        Path data = dir.resolve("postgres");
        madeByMajor(data, "14");
        assertThatThrownBy(() -> EmbeddedPostgresServer.start(0, data)).isInstanceOf(IOException.class)
                .hasMessageContaining("PostgreSQL 14").hasMessageContaining("PostgreSQL " + PostgresMajor.EMBEDDED);
    }

    /** What PostgreSQL reads first, and refuses on: the rest of a real data directory is not needed. */
    private static void madeByMajor(Path postgresData, String major) throws IOException {
        Files.createDirectories(postgresData.resolve("base"));
        Files.writeString(postgresData.resolve("PG_VERSION"), major + "\n");
        Files.writeString(postgresData.resolve("base").resolve("old-table"), "rows");
    }

    private static String serverMajor(EmbeddedPostgresServer postgres) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_version_num")) {
            assertThat(rs.next()).isTrue();
            return String.valueOf(Integer.parseInt(rs.getString(1)) / 10_000);
        }
    }
}
