package dev.moratorium.config;

import java.time.Duration;
import java.util.List;

/**
 * The range of every {@code moratorium.*} number and duration (webhooks: webhook.WebhookSettingsBounds),
 * but the embedded infrastructure's, which reads its own settings before the application starts.
 */
public final class MoratoriumSettingsBounds {

    private MoratoriumSettingsBounds() {
    }

    public static SettingBounds of(MoratoriumConfig c) {
        SettingBounds b = new SettingBounds();
        List<Duration> reminders = c.reminders();
        for (int i = 0; i < reminders.size(); i++) {
            b.positive("moratorium.reminders[" + i + "]", reminders.get(i));
        }
        b.positive("moratorium.clock.tick", c.clock().tick());
        b.notNegative("moratorium.retention.notifications", c.retention().notifications())
                .notNegative("moratorium.retention.resolved-rejections", c.retention().resolvedRejections())
                .positive("moratorium.retention.interval", c.retention().interval());
        b.positive("moratorium.index.max-lag", c.index().maxLag())
                .atLeast("moratorium.index.chunk-size", c.index().chunkSize(), 1)
                .atLeast("moratorium.index.exemptions-held", c.index().exemptionsHeld().asLongValue(), 0);
        b.positive("moratorium.health.outbox-max-age", c.health().outboxMaxAge())
                .positive("moratorium.health.grants-check-every", c.health().grantsCheckEvery());
        b.positive("moratorium.state-topic.check-every", c.stateTopic().checkEvery())
                // renewed every quarter of it while the run waits: 500 ms apart at the least
                .atLeast("moratorium.state-topic.republish-lease", c.stateTopic().republishLease(), Duration.ofSeconds(2));
        MoratoriumConfig.OutboxSettings outbox = c.outbox();
        b.add(relayTimeouts(outbox.lease(), outbox.ackTimeout()));
        b.atLeast("moratorium.outbox.batch-size", outbox.batchSize(), 1)
                .atLeast("moratorium.outbox.round-bytes", outbox.roundBytes().asLongValue(), 1)
                .positive("moratorium.outbox.poll", outbox.poll())
                .notNegative("moratorium.outbox.settle-delay", outbox.settleDelay());
        MoratoriumConfig.WriterSettings writers = c.writers();
        b.postgresTimeout("moratorium.writers.lock-timeout", writers.lockTimeout())
                .postgresTimeout("moratorium.writers.statement-timeout", writers.statementTimeout())
                .postgresTimeout("moratorium.writers.idle-in-transaction-timeout", writers.idleInTransactionTimeout());
        MoratoriumConfig.ApiSettings api = c.api();
        b.atLeast("moratorium.api.default-page-size", api.defaultPageSize(), 1)
                .ordered("moratorium.api.default-page-size", api.defaultPageSize(),
                        "moratorium.api.max-page-size", api.maxPageSize())
                .atLeast("moratorium.api.max-streams", api.maxStreams(), 0)
                .positive("moratorium.api.stream-heartbeat", api.streamHeartbeat())
                .positive("moratorium.api.client-stall", api.clientStall())
                .atLeast("moratorium.api.answers-in-flight", api.answersInFlight(), 1)
                .atLeast("moratorium.api.answers-in-flight-per-connection", api.answersInFlightPerConnection(), 1)
                .atLeast("moratorium.api.count-cap", api.countCap(), 1)
                .atLeast("moratorium.api.max-offset", api.maxOffset(), 0)
                .atLeast("moratorium.api.as-of-kept-histories", api.asOfKeptHistories().asLongValue(), 0);
        return b;
    }

    /**
     * The relay's lease against its acknowledgement wait (outbox.RelayTimeouts derives the producer's
     * timeouts from the wait, and refuses the same values): checked here too so that a start names
     * them with every other setting out of range.
     */
    public static SettingBounds relayTimeouts(Duration lease, Duration ackTimeout) {
        return new SettingBounds()
                .longer("moratorium.outbox.lease", lease, "moratorium.outbox.ack-timeout", ackTimeout,
                        "a round is sent only while the lease outlasts the wait for its acknowledgements")
                // a sixth of it is send()'s longest block, a third the request timeout: 100 ms and 200 ms
                .atLeast("moratorium.outbox.ack-timeout", ackTimeout, Duration.ofMillis(600));
    }
}
