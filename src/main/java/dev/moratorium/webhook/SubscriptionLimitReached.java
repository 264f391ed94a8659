package dev.moratorium.webhook;

/** A new subscription past {@code moratorium.webhooks.max-subscriptions}; the message says so in one sentence. */
public class SubscriptionLimitReached extends RuntimeException {

    public SubscriptionLimitReached(String message) {
        super(message, null, false, false);
    }
}
