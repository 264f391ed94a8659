package dev.moratorium.webhook;

import java.time.Instant;

/** A subscription as a worker claimed it: what it needs to deliver, fixed for the run. */
record Claim(String id, String url, String secret, String previousSecret, Instant previousSecretUntil,
        SubscriptionFilter filter, long deliveredUpTo, int attempts, Instant failingSince, long version) {

    /** The old secret while it still signs alongside the new one. */
    String previousSecretAt(Instant now) {
        return previousSecret != null && previousSecretUntil != null && now.isBefore(previousSecretUntil)
                ? previousSecret : null;
    }
}
