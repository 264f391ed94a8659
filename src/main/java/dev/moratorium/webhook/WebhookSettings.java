package dev.moratorium.webhook;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** {@code moratorium.webhooks.*}: delivery to webhook subscribers (README, "Webhooks"). */
@ConfigMapping(prefix = "moratorium.webhooks")
public interface WebhookSettings {

    /** Deliver at all (off: subscriptions can still be managed, nothing is sent). */
    @WithDefault("true")
    boolean enabled();

    /**
     * Accept (and deliver to) loopback, private, link-local and metadata addresses. Off in
     * production so a subscription cannot make the service probe its own network (SSRF); on in
     * dev and tests, whose receivers listen on loopback.
     */
    @WithDefault("false")
    boolean allowPrivateTargets();

    /**
     * How many subscriptions may exist. Each one costs every replica a backlog count every 5 s and
     * metric series of its own, and the list answers them all; past this, a new one is refused
     * (409) until one is deleted. Lowering it keeps those already there.
     */
    @WithDefault("100")
    int maxSubscriptions();

    /** Delivery threads: how many subscribers can be waited on at once (each has one at a time). */
    @WithDefault("4")
    int workers();

    /** How often due subscriptions are looked for when no commit wakes the workers. */
    @WithDefault("500ms")
    Duration poll();

    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * Until the answer's headers; the whole exchange, body included, must end within connect-timeout
     * plus this. A slower receiver counts as a failed attempt.
     */
    @WithDefault("10s")
    Duration requestTimeout();

    /** First retry delay; doubled per failed attempt, with jitter, up to {@link #maxBackoff()}. */
    @WithDefault("1s")
    Duration initialBackoff();

    @WithDefault("10m")
    Duration maxBackoff();

    /** How long a subscriber may keep failing before it is marked FAILING and parked until resumed. */
    @WithDefault("24h")
    Duration retryFor();

    /** How long the old secret keeps signing (alongside the new one) after a rotation. */
    @WithDefault("24h")
    Duration secretOverlap();

    /** Notifications one worker delivers to a subscriber before giving others a turn. */
    @WithDefault("100")
    int batchSize();

    /**
     * How long a worker holds a subscriber; extended with every delivery. Must be longer than
     * connect-timeout plus request-timeout, or the start fails ({@link AttemptBudget}).
     */
    @WithDefault("60s")
    Duration lease();
}
