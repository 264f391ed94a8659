package dev.moratorium.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.moratorium.policy.RejectionReason;
import dev.moratorium.testing.Events;
import dev.moratorium.testing.RecordMutator;
import dev.moratorium.testing.TestKafka;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * At least 10,000 hostile records through the real broker and database: the service neither
 * crashes nor stalls, and every record is accounted for — applied, a duplicate id, or rejected
 * with one of the contract's reason codes (and kept).
 */
@QuarkusTest
@TestProfile(HostileRecordsTest.Profile.class)
class HostileRecordsTest {

    /** Its own profile: a fresh broker and database for this class. */
    public static class Profile implements QuarkusTestProfile {
    }

    private static final int COUNT = 10_000;

    @Inject
    DataSource dataSource;

    @Inject
    MeterRegistry registry;

    @Test
    void everyHostileRecordIsAppliedOrRejectedWithAContractReason() throws Exception {
        List<RecordMutator.Mutant> mutants = new RecordMutator(7).generate(COUNT, "hostile");
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer()) {
            List<Future<RecordMetadata>> acks = new java.util.ArrayList<>();
            for (RecordMutator.Mutant m : mutants) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("policy-changes",
                        m.key() == null ? null : m.key().getBytes(), m.value());
                m.headers().forEach((k, v) -> r.headers().add(k, v.getBytes()));
                acks.add(producer.send(r));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
        }
        // a valid record after all of them: once it is applied, the consumer went through everything
        TestKafka.sendStructured("after-the-storm", Events.announce("after-the-storm-1", "after-the-storm",
                "2026-01-01", "2030-01-01"));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                given().get("/moratoria/after-the-storm").then().statusCode(200));

        long applied = count("SELECT count(*) FROM policy_event WHERE policy_id LIKE 'hostile-%'");
        long duplicates = (long) registry.find("moratorium.events.consumed").tag("result", "duplicate").counters()
                .stream().mapToDouble(c -> c.count()).sum();
        Map<String, Long> reasons = new TreeMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT reason_code, count(*) FROM rejection GROUP BY reason_code")) {
            while (rs.next()) {
                reasons.put(rs.getString(1), rs.getLong(2));
            }
        }
        long rejected = reasons.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("hostile records: %d sent, %d applied, %d duplicate ids, %d rejected %s%n", COUNT, applied,
                duplicates, rejected, reasons);
        List<String> codes = Arrays.stream(RejectionReason.values()).map(RejectionReason::code).toList();
        assertThat(codes).containsAll(reasons.keySet());
        assertThat(applied + duplicates + rejected).as("every record accounted for").isEqualTo(COUNT);
        // a broker without an authorizer lets the consumer's user do everything, and says so
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'Kafka consumer policy-changes' }.data.topicRead", equalTo("granted"))
                .body("checks.find { it.name == 'Kafka consumer policy-changes' }.data.groupRead", equalTo("granted"));
        given().get("/q/health/live").then().statusCode(200);
    }

    private long count(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
