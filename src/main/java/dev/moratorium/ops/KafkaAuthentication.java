package dev.moratorium.ops;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Whether a Kafka client is failing to authenticate, read from the client's own metrics.
 *
 * <p>SmallRye's lightweight readiness check counts open connections, and a connection is open
 * while its SASL or TLS handshake is attempted; with a wrong password the count goes 0, 1, 0, 1
 * as the client retries, so that check flaps between DOWN and UP. The client's rates of failed
 * and successful authentications (over its metrics window, 2 × 30 s by default) do not flap: a
 * client that keeps failing and has not succeeded within the window is failing now. A client that
 * failed and never succeeded is failing too, even once it stops retrying (the consumer does after
 * a fatal authentication error) and the rates decay to zero.
 */
public record KafkaAuthentication(double failedPerSecond, double succeededPerSecond, double failedTotal,
        double succeededTotal) {

    /** The group of the client-wide metrics; per-node groups repeat the names and are ignored. */
    private static final String[] CLIENT_GROUPS = {"consumer-metrics", "producer-metrics", "admin-client-metrics"};

    public static KafkaAuthentication of(Map<MetricName, ? extends Metric> metrics) {
        return new KafkaAuthentication(
                value(metrics, "failed-authentication-rate"),
                value(metrics, "successful-authentication-rate"),
                value(metrics, "failed-authentication-total"),
                value(metrics, "successful-authentication-total"));
    }

    /** Failing: authentications failed within the window and none succeeded, or none ever did. */
    public boolean failing() {
        boolean failingNow = failedPerSecond > 0 && succeededPerSecond == 0;
        boolean neverAuthenticated = failedTotal > 0 && succeededTotal == 0;
        return failingNow || neverAuthenticated;
    }

    private static double value(Map<MetricName, ? extends Metric> metrics, String name) {
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals(name) && isClientGroup(n.group())
                    && e.getValue().metricValue() instanceof Number v && !Double.isNaN(v.doubleValue())) {
                return v.doubleValue();
            }
        }
        return 0;
    }

    private static boolean isClientGroup(String group) {
        for (String g : CLIENT_GROUPS) {
            if (g.equals(group)) {
                return true;
            }
        }
        return false;
    }
}
