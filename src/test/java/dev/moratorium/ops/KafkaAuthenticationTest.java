package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class KafkaAuthenticationTest {

    @Test
    void failingWhileAuthenticationsFailAndNoneSucceeds() {
        var auth = KafkaAuthentication.of(metrics("consumer-metrics", 0.4, 0.0, 12, 0));
        assertThat(auth.failing()).isTrue();
        assertThat(auth.failedTotal()).isEqualTo(12);
    }

    @Test
    void notFailingWhenOneSucceededInTheWindow() {
        // one connection refused during a broker roll, another authenticated: the client works
        assertThat(KafkaAuthentication.of(metrics("consumer-metrics", 0.1, 0.1, 1, 1)).failing()).isFalse();
    }

    @Test
    void notFailingOnLongLivedConnections() {
        // authenticated long ago: both rates have decayed to zero
        assertThat(KafkaAuthentication.of(metrics("consumer-metrics", 0.0, 0.0, 0, 1)).failing()).isFalse();
    }

    @Test
    void notFailingWithoutMetrics() {
        assertThat(KafkaAuthentication.of(Map.of()).failing()).isFalse();
    }

    @Test
    void perNodeGroupsAreIgnored() {
        // the same names in a per-node group must not decide for the whole client
        assertThat(KafkaAuthentication.of(metrics("consumer-node-metrics", 0.5, 0.0, 3, 0)).failing()).isFalse();
    }

    @Test
    void nanIsNoValue() {
        assertThat(KafkaAuthentication.of(metrics("producer-metrics", Double.NaN, 0.0, 0, 0)).failing()).isFalse();
    }

    @Test
    void failingAfterTheClientStoppedRetrying() {
        // a fatal authentication error ends the consumer's retries; the rate decays, the fact stays
        assertThat(KafkaAuthentication.of(metrics("consumer-metrics", 0.0, 0.0, 1, 0)).failing()).isTrue();
    }

    @Test
    void notFailingAfterAnOldFailureFollowedBySuccess() {
        assertThat(KafkaAuthentication.of(metrics("consumer-metrics", 0.0, 0.0, 1, 3)).failing()).isFalse();
    }

    @Test
    void failingWhenReconnectionsFailAfterEarlierSuccess() {
        // credentials revoked: new connections fail, none has succeeded within the window
        assertThat(KafkaAuthentication.of(metrics("consumer-metrics", 0.3, 0.0, 5, 2)).failing()).isTrue();
    }

    private static Map<MetricName, Metric> metrics(String group, double failedRate, double succeededRate, double failedTotal,
            double succeededTotal) {
        Map<MetricName, Metric> m = new LinkedHashMap<>();
        put(m, group, "failed-authentication-rate", failedRate);
        put(m, group, "successful-authentication-rate", succeededRate);
        put(m, group, "failed-authentication-total", failedTotal);
        put(m, group, "successful-authentication-total", succeededTotal);
        put(m, group, "connection-count", 1.0);
        return m;
    }

    private static void put(Map<MetricName, Metric> m, String group, String name, double value) {
        MetricName n = new MetricName(name, group, "", Map.of("client-id", "test"));
        m.put(n, new Metric() {
            @Override
            public MetricName metricName() {
                return n;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        });
    }
}
