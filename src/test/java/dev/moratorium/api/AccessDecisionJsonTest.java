package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.moratorium.policy.AccessDecision;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written JSON of /access is exactly what Jackson writes, as Quarkus configures it. */
class AccessDecisionJsonTest {

    /** Quarkus's default ObjectMapper: java.time module, dates as ISO strings. */
    private static final ObjectMapper JACKSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @Test
    void sameBytesAsJackson() throws Exception {
        Random random = new Random(42);
        String alphabet = "aZ09 \"\\/\n\r\t\b\f\u0000\u001f\u007f\u2028é中😀<>&'";
        for (int i = 0; i < 20_000; i++) {
            AccessDecision d = new AccessDecision(random.nextBoolean(),
                    random.nextInt(4) == 0 ? null : text(random, alphabet),
                    random.nextInt(10) == 0 ? null : text(random, alphabet),
                    random.nextInt(3) == 0 ? null : instant(random));
            assertThat(AccessDecisionJson.write(d)).as("%s", d).isEqualTo(JACKSON.writeValueAsString(d));
        }
    }

    /** Instants at the edges of the calendar and of the hand-written range read as Instant.toString. */
    @Test
    void instantsAsTheJdkWritesThem() {
        List<Instant> edges = new ArrayList<>(List.of(Instant.EPOCH, Instant.MIN, Instant.MAX,
                Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("0000-12-31T23:59:59Z"),
                Instant.parse("9999-12-31T23:59:59Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("1969-12-31T23:59:59Z"), Instant.parse("2024-02-29T12:00:00Z"),
                Instant.parse("2100-02-28T23:59:59Z"), Instant.parse("2000-03-01T00:00:00Z"),
                Instant.parse("1600-02-29T00:00:00Z"), Instant.parse("2021-06-10T00:00:00.5Z"),
                Instant.ofEpochSecond(-1, 999_999_999)));
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            edges.add(Instant.ofEpochSecond(random.nextLong(-62_135_596_800L - 86_400, 253_402_300_800L + 86_400)));
        }
        for (Instant t : edges) {
            StringBuilder b = new StringBuilder();
            AccessDecisionJson.instant(b, t);
            assertThat(b.toString()).as("%s", t).isEqualTo(t.toString());
        }
    }

    @Test
    void aDenialAsTheContractShowsIt() {
        AccessDecision d = new AccessDecision(false, "amazon-rekognition-police-2020", "Police access to Amazon"
                + " Rekognition is suspended from 2020-06-10 until 2021-06-10 (amazon-rekognition-police-2020)",
                Instant.parse("2021-06-10T00:00:00Z"));
        assertThat(AccessDecisionJson.write(d)).isEqualTo("{\"allowed\":false,\"policyId\":\"amazon-rekognition-police-2020\","
                + "\"reason\":\"Police access to Amazon Rekognition is suspended from 2020-06-10 until 2021-06-10"
                + " (amazon-rekognition-police-2020)\",\"until\":\"2021-06-10T00:00:00Z\"}");
    }

    private static String text(Random random, String alphabet) {
        StringBuilder b = new StringBuilder();
        for (int n = random.nextInt(40); n > 0; n--) {
            int at = random.nextInt(alphabet.length());
            // keep surrogate pairs whole
            if (Character.isHighSurrogate(alphabet.charAt(at))) {
                b.append(alphabet, at, at + 2);
            } else if (Character.isLowSurrogate(alphabet.charAt(at))) {
                b.append(alphabet, at - 1, at + 1);
            } else {
                b.append(alphabet.charAt(at));
            }
        }
        return b.toString();
    }

    private static Instant instant(Random random) {
        // whole seconds, milliseconds and nanoseconds, across years
        long seconds = Instant.parse("1990-01-01T00:00:00Z").getEpochSecond() + (long) (random.nextDouble() * 2e9);
        int nanos = switch (random.nextInt(3)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            default -> random.nextInt(1_000_000_000);
        };
        return Instant.ofEpochSecond(seconds, nanos);
    }
}
