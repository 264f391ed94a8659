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
        "moratorium.outbox.lease|30s|(PT30S) must be longer than moratorium.outbox.ack-timeout (PT30S): a round is sent",
        "moratorium.outbox.ack-timeout|599ms|is PT0.599S; it must be at least PT0.6S",
        "moratorium.index.chunk-size|0|must be at least 1",
        "moratorium.index.max-lag|0s|longer than zero",
        "moratorium.clock.tick|-1s|longer than zero",
        "moratorium.retention.notifications|-P1D|must not be negative",
        "moratorium.retention.interval|0s|longer than zero",
        "moratorium.health.outbox-max-age|0s|longer than zero",
        "moratorium.health.grants-check-every|0s|longer than zero",
        "moratorium.state-topic.check-every|0s|longer than zero",
        "moratorium.state-topic.check-every|-1m|longer than zero",
        "moratorium.state-topic.republish-lease|1999ms|must be at least PT2S",
        "moratorium.reminders|P30D,-P7D|moratorium.reminders[1]",
        "moratorium.reminders|PT0S|moratorium.reminders[0]",
        "moratorium.api.default-page-size|0|must be at least 1",
        "moratorium.api.max-page-size|10|must not be greater than moratorium.api.max-page-size (10)",
        "moratorium.api.max-streams|-1|must be at least 0",
        "moratorium.api.stream-heartbeat|0s|longer than zero",
        "moratorium.api.client-stall|0s|longer than zero",
        "moratorium.api.answers-in-flight|0|must be at least 1",
        "moratorium.api.answers-in-flight-per-connection|0|must be at least 1",
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
        "moratorium.webhooks.lease|15s|must be longer than moratorium.webhooks.connect-timeout plus request-timeout (PT15S)",
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
    void theLeasesAreCheckedWithEveryOtherSettingAgainstWhatTheyMustOutlast() {
        // the relay's and the webhook workers' leases, beside a range: one start names all three
        List<String> problems = problems(Map.of("moratorium.outbox.ack-timeout", "50s",
                "moratorium.webhooks.request-timeout", "70s", "moratorium.index.chunk-size", "0"));
        assertThat(problems).hasSize(3).anySatisfy(p -> assertThat(p).startsWith("moratorium.outbox.lease (PT45S)"))
                .anySatisfy(p -> assertThat(p).startsWith("moratorium.webhooks.lease (PT1M)"))
                .anySatisfy(p -> assertThat(p).startsWith("moratorium.index.chunk-size is 0"));
        // just longer is enough; at the floor is enough
        assertThat(problems(Map.of("moratorium.outbox.ack-timeout", "44999ms", "moratorium.webhooks.lease", "15001ms")))
                .isEmpty();
        assertThat(problems(Map.of("moratorium.outbox.ack-timeout", "600ms"))).isEmpty();
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
