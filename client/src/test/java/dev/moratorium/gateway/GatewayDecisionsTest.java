package dev.moratorium.gateway;

import static dev.moratorium.gateway.StateRecordsTest.AMAZON;
import static dev.moratorium.gateway.StateRecordsTest.IBM;
import static dev.moratorium.gateway.StateRecordsTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.policy.Policy;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Decisions from the local view: the same answers as GET /access for the same policies. */
class GatewayDecisionsTest {

    private static final Instant JUNE_2020 = Instant.parse("2020-06-11T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void decidesAsTheServiceDoes() {
        MoratoriumGatewayClient client = MoratoriumGatewayClient.offline(CLOCK);
        client.apply("amazon-rekognition-police-2020", bytes(AMAZON));
        client.apply("ibm-face-recognition-withdrawal", bytes(IBM));

        AccessDecision denied = client.decide("amazon", "REKOGNITION", "Police", null, "US-WA", JUNE_2020);
        assertThat(denied).isEqualTo(new AccessDecision(false, "amazon-rekognition-police-2020",
                "Police access to Amazon Rekognition is suspended from 2020-06-10 until 2021-06-10"
                        + " (amazon-rekognition-police-2020)", Instant.parse("2021-06-10T00:00:00Z")));
        assertThat(client.decide("Amazon", "Rekognition", "police", null, "GB", JUNE_2020))
                .isEqualTo(new AccessDecision(true, null, "no restriction applies", null));
        assertThat(client.decide("Amazon", "Rekognition", "police", null, JUNE_2020).reason())
                .endsWith("; no jurisdiction given, so policies of every jurisdiction apply");
        AccessDecision thorn = client.decide("Amazon", "Rekognition", "police", "thorn", "US", JUNE_2020);
        assertThat(thorn.allowed()).isTrue();
        assertThat(thorn.reason()).isEqualTo("Thorn is exempt from moratorium amazon-rekognition-police-2020"
                + " (finding missing children)");
        assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", Instant.parse("2021-06-10T00:00:00Z"))
                .allowed()).isTrue();
        AccessDecision ibm = client.decide("IBM", "General-Purpose Face Recognition", "anyone", "Thorn", null, JUNE_2020);
        assertThat(ibm.allowed()).isFalse();
        assertThat(ibm.reason()).isEqualTo("IBM general-purpose face recognition was withdrawn from 2020-06-08"
                + " (ibm-face-recognition-withdrawal)");
        assertThat(client.explain("Amazon", "Rekognition", "police", null, "US", JUNE_2020).explanation().policies())
                .hasSize(1);
    }

    @Test
    void followsChangesTombstonesAndTellsListeners() {
        MoratoriumGatewayClient client = MoratoriumGatewayClient.offline(CLOCK);
        List<String> heard = new ArrayList<>();
        client.addListener((id, before, after) -> heard.add(id + ":" + status(before) + "->" + status(after)));
        client.apply("amazon-rekognition-police-2020", bytes(AMAZON));
        client.apply("amazon-rekognition-police-2020", bytes(AMAZON
                .replace("\"2021-06-10T00:00:00Z\"", "null"))); // extended until further notice
        assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", Instant.parse("2022-01-01T00:00:00Z"))
                .allowed()).isFalse();
        client.apply("amazon-rekognition-police-2020", bytes("garbage"));
        assertThat(client.unreadableRecords()).isEqualTo(1);
        client.apply("amazon-rekognition-police-2020", null);
        client.apply("never-seen", null);
        assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", JUNE_2020).allowed()).isTrue();
        assertThat(heard).containsExactly("amazon-rekognition-police-2020:none->ACTIVE",
                "amazon-rekognition-police-2020:ACTIVE->ACTIVE", "amazon-rekognition-police-2020:ACTIVE->none");
        assertThat(client.staleness().policies()).isZero();
        assertThat(client.staleness().lastUpdateAt()).isEqualTo(CLOCK.instant());
    }

    @Test
    void keepsAnsweringWithoutABroker() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder()
                .bootstrapServers("127.0.0.1:" + closedPort).kafkaProperty("reconnect.backoff.max.ms", 200).start()) {
            client.apply("amazon-rekognition-police-2020", bytes(AMAZON)); // as if read before the broker went away
            assertThat(client.awaitLoaded(Duration.ofMillis(500))).isFalse();
            assertThat(client.decide("Amazon", "Rekognition", "police", null, "US", JUNE_2020).allowed()).isFalse();
            Staleness staleness = client.staleness();
            assertThat(staleness.loaded()).isFalse();
            assertThat(staleness.lastSyncedAt()).isNull();
            assertThat(staleness.age(Instant.now())).isNull();
            assertThat(staleness.lag()).isEqualTo(-1);
            assertThat(staleness.policies()).isEqualTo(1);
        }
    }

    private static String status(Policy p) {
        return p == null ? "none" : p.status().name();
    }
}
