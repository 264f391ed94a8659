package dev.moratorium.webhook;

import dev.moratorium.config.SettingBounds;

/** The range of every {@code moratorium.webhooks.*} number and duration, and the lease against one attempt ({@link AttemptBudget}). */
public final class WebhookSettingsBounds {

    private WebhookSettingsBounds() {
    }

    public static SettingBounds of(WebhookSettings s) {
        return new SettingBounds()
                // 0 is a way to stop new subscriptions while keeping those there
                .atLeast("moratorium.webhooks.max-subscriptions", s.maxSubscriptions(), 0)
                .atLeast("moratorium.webhooks.workers", s.workers(), 1)
                .positive("moratorium.webhooks.poll", s.poll())
                .wholeMillis("moratorium.webhooks.connect-timeout", s.connectTimeout())
                .wholeMillis("moratorium.webhooks.request-timeout", s.requestTimeout())
                .positive("moratorium.webhooks.initial-backoff", s.initialBackoff())
                .ordered("moratorium.webhooks.initial-backoff", s.initialBackoff(),
                        "moratorium.webhooks.max-backoff", s.maxBackoff())
                .positive("moratorium.webhooks.retry-for", s.retryFor())
                .notNegative("moratorium.webhooks.secret-overlap", s.secretOverlap())
                .atLeast("moratorium.webhooks.batch-size", s.batchSize(), 1)
                .add(AttemptBudget.bounds(s.connectTimeout(), s.requestTimeout(), s.lease()));
    }
}
