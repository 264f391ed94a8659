package dev.moratorium.webhook;

import dev.moratorium.config.SettingBounds;
import java.time.Duration;

/**
 * How long one delivery attempt may take, and the lease that must outlast it. A worker holds its
 * subscription by a lease, extended with every delivery; while it waits on a receiver, nothing
 * extends it. An attempt that outlasts the lease lets another worker (or replica) claim the same
 * subscription and send the same notification again while the first is still waiting: the ledger
 * stays right (the first worker's late write is refused), but the receiver gets every slow
 * notification twice and the two workers contend for one receiver. So a lease that is not longer
 * than the whole exchange fails the start, as the outbox's lease does against its acknowledgement
 * wait.
 */
record AttemptBudget(Duration connectTimeout, Duration requestTimeout, Duration lease) {

    AttemptBudget {
        bounds(connectTimeout, requestTimeout, lease).enforce();
    }

    /** The rule above, as the start's check of every setting collects it (app.SettingsCheck). */
    static SettingBounds bounds(Duration connectTimeout, Duration requestTimeout, Duration lease) {
        return new SettingBounds().longer("moratorium.webhooks.lease", lease,
                "moratorium.webhooks.connect-timeout plus request-timeout", connectTimeout.plus(requestTimeout),
                "a worker still waiting on a receiver when its lease ends lets another worker send the same"
                        + " notification again");
    }

    static AttemptBudget of(WebhookSettings settings) {
        return new AttemptBudget(settings.connectTimeout(), settings.requestTimeout(), settings.lease());
    }

    /** The whole exchange, body included: connecting, then the answer to its end. */
    Duration answerDeadline() {
        return connectTimeout.plus(requestTimeout);
    }
}
