package dev.moratorium.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KafkaAuthenticationTest {

    @Test
    void failingWhileAuthenticationsFailAndNoneSucceeds() {
        var auth = KafkaAuthentication.of(metrics("consumer-metrics", 0.4, 0.0, 12, 0));
        assertThat(auth.failing()).isTrue();
        assertThat(auth.failedTotal()).isEqualTo(12);
    }

    /** The rule as a table: one client's metrics group and its four figures → failing or not. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # case                                                                | group                 | failed/s | succeeded/s | failed total | succeeded total | failing
            one connection refused during a broker roll, another authenticated    | consumer-metrics      | 0.1      | 0.1         | 1            | 1               | false
            authenticated long ago: both rates have decayed to zero               | consumer-metrics      | 0.0      | 0.0         | 0            | 1               | false
            the same names in a per-node group do not decide for the whole client | consumer-node-metrics | 0.5      | 0.0         | 3            | 0               | false
            NaN is no value                                                       | producer-metrics      | NaN      | 0.0         | 0            | 0               | false
            a fatal error ended the retries: the rate decays, the fact stays      | consumer-metrics      | 0.0      | 0.0         | 1            | 0               | true
            an old failure followed by success                                    | consumer-metrics      | 0.0      | 0.0         | 1            | 3               | false
            credentials revoked: reconnections fail, none succeeded in the window | consumer-metrics      | 0.3      | 0.0         | 5            | 2               | true
            """)
    void rule(String description, String group, double failedRate, double succeededRate, double failedTotal,
            double succeededTotal, boolean failing) {
        assertThat(KafkaAuthentication.of(metrics(group, failedRate, succeededRate, failedTotal, succeededTotal)).failing())
                .isEqualTo(failing);
    }

    @Test
    void notFailingWithoutMetrics() {
        assertThat(KafkaAuthentication.of(Map.of()).failing()).isFalse();
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
