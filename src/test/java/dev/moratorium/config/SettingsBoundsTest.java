package dev.moratorium.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moratorium.webhook.WebhookSettings;
import dev.moratorium.webhook.WebhookSettingsBounds;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every bound through the real mappings, as SmallRye Config reads them from properties: the
 * defaults are in range, and each value out of range is named by its key (and only it).
 */
class SettingsBoundsTest {

    @Test
    void theDefaultsAreInRange() {
        assertThat(problems(Map.of())).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "moratorium.writers.lock-timeout|0s|at least 1ms (0 would mean no limit at all)",
        "moratorium.writers.lock-timeout|PT0.0005S|at least 1ms",
        "moratorium.writers.statement-timeout|0ms|at least 1ms",
        "moratorium.writers.idle-in-transaction-timeout|-1s|at least 1ms",
        "moratorium.writers.lock-timeout|P30D|at most 2147483647ms (PostgreSQL's largest timeout",
        "moratorium.writers.statement-timeout|PT596H31M23.648S|at most 2147483647ms",
        "moratorium.outbox.batch-size|0|must be at least 1",
        "moratorium.outbox.round-bytes|0|must be at least 1",
        "moratorium.outbox.poll|0s|longer than zero",
        "moratorium.outbox.settle-delay|-1ms|must not be negative",
        "moratorium.index.chunk-size|0|must be at least 1",
        "moratorium.index.max-lag|0s|longer than zero",
        "moratorium.clock.tick|-1s|longer than zero",
        "moratorium.retention.notifications|-P1D|must not be negative",
        "moratorium.retention.interval|0s|longer than zero",
        "moratorium.health.outbox-max-age|0s|longer than zero",
        "moratorium.reminders|P30D,-P7D|moratorium.reminders[1]",
        "moratorium.reminders|PT0S|moratorium.reminders[0]",
        "moratorium.api.default-page-size|0|must be at least 1",
        "moratorium.api.max-page-size|10|must not be greater than moratorium.api.max-page-size (10)",
        "moratorium.api.max-streams|-1|must be at least 0",
        "moratorium.api.stream-heartbeat|0s|longer than zero",
        "moratorium.api.count-cap|0|must be at least 1",
        "moratorium.api.max-offset|-1|must be at least 0",
        "moratorium.webhooks.max-subscriptions|-1|must be at least 0",
        "moratorium.webhooks.workers|0|must be at least 1",
        "moratorium.webhooks.poll|0s|longer than zero",
        "moratorium.webhooks.connect-timeout|0s|at least 1ms",
        "moratorium.webhooks.request-timeout|-5s|at least 1ms",
        "moratorium.webhooks.initial-backoff|0s|longer than zero",
        "moratorium.webhooks.max-backoff|500ms|must not be longer than moratorium.webhooks.max-backoff (PT0.5S)",
        "moratorium.webhooks.retry-for|0s|longer than zero",
        "moratorium.webhooks.secret-overlap|-1s|must not be negative",
        "moratorium.webhooks.batch-size|0|must be at least 1",
    })
    void aValueOutOfRangeIsNamedByItsKey(String key, String value, String says) {
        List<String> problems = problems(Map.of(key, value));
        assertThat(problems).hasSize(1);
        String keyNamed = key.equals("moratorium.reminders") ? "moratorium.reminders[" : key;
        assertThat(problems.get(0)).contains(keyNamed).contains(says);
    }

    @Test
    void zeroIsInRangeWhereItMeansSomething() {
        // keep for ever; no new subscriptions; no streams; settle at once; first pages only; checkpoints only
        assertThat(problems(Map.of("moratorium.retention.notifications", "P0D",
                "moratorium.webhooks.max-subscriptions", "0", "moratorium.api.max-streams", "0",
                "moratorium.outbox.settle-delay", "0s", "moratorium.api.max-offset", "0",
                "moratorium.api.as-of-kept-histories", "0", "moratorium.webhooks.secret-overlap", "0s"))).isEmpty();
    }

    @Test
    void postgresLargestTimeoutIsInRange() {
        // 2,147,483,647 ms, PostgreSQL's largest; one more is the first value out of range (above)
        assertThat(problems(Map.of("moratorium.writers.idle-in-transaction-timeout", "PT596H31M23.647S"))).isEmpty();
    }

    @Test
    void aStartWithSeveralOutOfRangeFailsOnceNamingEachOnALineOfItsOwn() {
        SettingBounds bounds = bounds(Map.of("moratorium.outbox.batch-size", "0",
                "moratorium.writers.lock-timeout", "0s", "moratorium.webhooks.workers", "-2"));
        assertThatThrownBy(bounds::enforce).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("3 settings are out of range:\n  ")
                .hasMessageContaining("\n  moratorium.webhooks.workers is -2; it must be at least 1");
        SettingBounds one = bounds(Map.of("moratorium.webhooks.workers", "0"));
        assertThatThrownBy(one::enforce).hasMessage(
                "A setting is out of range: moratorium.webhooks.workers is 0; it must be at least 1");
        bounds(Map.of()).enforce(); // nothing to say, nothing thrown
    }

    private static List<String> problems(Map<String, String> properties) {
        return bounds(properties).problems();
    }

    private static SettingBounds bounds(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(Duration.class, 100, new DurationConverter()) // "10s", as Quarkus reads it
                .withMapping(MoratoriumConfig.class)
                .withMapping(WebhookSettings.class)
                .withDefaultValues(properties)
                .build();
        return MoratoriumSettingsBounds.of(config.getConfigMapping(MoratoriumConfig.class))
                .add(WebhookSettingsBounds.of(config.getConfigMapping(WebhookSettings.class)));
    }
}
