package dev.moratorium.webhook;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.moratorium.clock.Wall;
import dev.moratorium.store.NotificationEntity;
import dev.moratorium.store.NotificationReads;
import dev.moratorium.store.WebhookDeliveryEntity;
import dev.moratorium.store.WebhookSubscriptionEntity;
import dev.moratorium.wire.WireJson;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hibernate.jpa.HibernateHints;

/**
 * The delivery workers' reads and writes, each its own short transaction: no transaction stays
 * open while a receiver is waited on. A lease's start is read from the wall clock here, at its
 * claim and at each extension, so the two cannot be measured by different clocks. A worker claims a subscription with a lease (picked with
 * {@code FOR UPDATE SKIP LOCKED}, so two workers, on one replica or two, never take the same one);
 * every later write is conditional on still holding that lease at the version claimed, so a
 * change over HTTP (pause, replay, delete...) makes the worker stop instead of overwriting it.
 */
@ApplicationScoped
class DeliveryLedger {

    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };

    @Inject
    EntityManager em;

    @Inject
    @Wall
    Clock wall;

    /** The due ACTIVE subscription that waited longest and has notifications it has not passed yet. */
    Optional<Claim> claim(String holder, Duration lease) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Instant now = wall.instant();
            long head = head();
            @SuppressWarnings("unchecked")
            List<WebhookSubscriptionEntity> due = em.createNativeQuery("SELECT * FROM webhook_subscription"
                    + " WHERE status = 'ACTIVE' AND next_attempt_at <= :now AND delivered_up_to < :head"
                    + " AND (leased_until IS NULL OR leased_until < :now)"
                    + " ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED", WebhookSubscriptionEntity.class)
                    .setParameter("now", now).setParameter("head", head).getResultList();
            if (due.isEmpty()) {
                return Optional.<Claim>empty();
            }
            WebhookSubscriptionEntity s = due.get(0);
            s.leaseHolder = holder;
            s.leasedUntil = now.plus(lease);
            return Optional.of(new Claim(s.id, s.url, s.secret, s.previousSecret, s.previousSecretUntil,
                    SubscriptionFilter.of(strings(s.types), strings(s.vendors)), s.deliveredUpTo, s.attempts,
                    s.failingSince, s.version));
        });
    }

    /** Whether any subscription is ACTIVE: without one, commits need not wake a worker. */
    boolean anyActive() {
        return QuarkusTransaction.requiringNew().call(() -> (Boolean) em.createNativeQuery(
                "SELECT EXISTS (SELECT 1 FROM webhook_subscription WHERE status = 'ACTIVE')").getSingleResult());
    }

    /** The newest notification's seq (0 if none): the primary key's last entry. */
    long head() {
        Number max = (Number) em.createNativeQuery("SELECT coalesce(max(seq), 0) FROM notification").getSingleResult();
        return max.longValue();
    }

    List<NotificationEntity> after(long seq, int limit) {
        return QuarkusTransaction.requiringNew().call(() -> {
            // where the first `limit` notifications after seq end, or where their payloads reach BATCH_BYTES
            Number last = (Number) NotificationEntity.getEntityManager().createNativeQuery("SELECT max(seq) FROM"
                    + " (SELECT seq, sum(" + NotificationReads.PAYLOAD_BYTES + ") OVER (ORDER BY seq) - "
                    + NotificationReads.PAYLOAD_BYTES + " AS before FROM notification WHERE seq > ?1 ORDER BY seq LIMIT ?2) AS p WHERE before < ?3")
                    .setParameter(1, seq).setParameter(2, limit).setParameter(3, BATCH_BYTES).getSingleResult();
            if (last == null) {
                return List.<NotificationEntity>of();
            }
            return NotificationEntity.<NotificationEntity>find("seq > ?1 and seq <= ?2", Sort.ascending("seq"), seq,
                    last.longValue()).withHint(HibernateHints.HINT_READ_ONLY, true).list();
        });
    }

    /**
     * Payload bytes one worker reads at a time (at least one notification): a notification carries its
     * policy's exemptions in force, up to 768 KiB, and a batch of 100 such per worker was 300 MB.
     */
    static final long BATCH_BYTES = 4_000_000;

    /**
     * A 2xx: the cursor moves past it, the failure run (if any) ends, and the lease is extended for
     * the next attempt. False if the claim no longer holds (changed over HTTP, or deleted): the
     * worker stops, and what it just delivered may be delivered again (at least once).
     */
    boolean delivered(Claim claim, String holder, NotificationEntity n, int attemptNumber, Attempt attempt,
            Duration lease) {
        return QuarkusTransaction.requiringNew().call(() -> {
            int updated = em.createNativeQuery("UPDATE webhook_subscription SET delivered_up_to = :seq,"
                    + " attempts = 0, failing_since = NULL, last_error = NULL, updated_at = :now, leased_until = :until"
                    + " WHERE id = :id AND lease_holder = :holder AND version = :version")
                    .setParameter("seq", n.seq).setParameter("now", attempt.at())
                    .setParameter("until", wall.instant().plus(lease)).setParameter("id", claim.id())
                    .setParameter("holder", holder).setParameter("version", claim.version()).executeUpdate();
            if (updated == 1) {
                log(claim, n, attemptNumber, attempt);
            }
            return updated == 1;
        });
    }

    /**
     * A failed attempt: the subscription waits {@code retryAt}, or parks as {@code status}
     * (FAILING after the retry window, DISABLED on 410), and the lease is given back.
     */
    void failed(Claim claim, String holder, NotificationEntity n, int attemptNumber, Attempt attempt, String status,
            Instant failingSince, Instant retryAt) {
        QuarkusTransaction.requiringNew().run(() -> {
            int updated = em.createNativeQuery("UPDATE webhook_subscription SET status = :status,"
                    + " attempts = :attempts, failing_since = :since, last_error = :error, next_attempt_at = :retryAt,"
                    + " lease_holder = NULL, leased_until = NULL, updated_at = :now"
                    + " WHERE id = :id AND lease_holder = :holder AND version = :version")
                    .setParameter("status", status).setParameter("attempts", attemptNumber)
                    .setParameter("since", failingSince).setParameter("error", attempt.describe())
                    .setParameter("retryAt", retryAt).setParameter("now", attempt.at())
                    .setParameter("id", claim.id()).setParameter("holder", holder)
                    .setParameter("version", claim.version()).executeUpdate();
            if (updated == 1) {
                log(claim, n, attemptNumber, attempt);
            }
        });
    }

    /**
     * Ends a run that did not fail: notifications the filter passed over count as done, and the
     * subscription is due again at once (the claim query skips it while it has nothing new).
     */
    void release(Claim claim, String holder, long passedUpTo) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE webhook_subscription SET"
                + " delivered_up_to = greatest(delivered_up_to, :passed), next_attempt_at = :now,"
                + " lease_holder = NULL, leased_until = NULL"
                + " WHERE id = :id AND lease_holder = :holder AND version = :version")
                .setParameter("passed", passedUpTo).setParameter("now", wall.instant()).setParameter("id", claim.id())
                .setParameter("holder", holder).setParameter("version", claim.version()).executeUpdate());
    }

    /** Gives the lease back whatever changed meanwhile (the claim went stale, or the worker stops). */
    void letGo(String id, String holder) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("UPDATE webhook_subscription"
                + " SET lease_holder = NULL, leased_until = NULL WHERE id = :id AND lease_holder = :holder")
                .setParameter("id", id).setParameter("holder", holder).executeUpdate());
    }

    private void log(Claim claim, NotificationEntity n, int attemptNumber, Attempt attempt) {
        WebhookDeliveryEntity row = new WebhookDeliveryEntity();
        row.subscriptionId = claim.id();
        row.notificationSeq = n.seq;
        row.webhookId = n.notificationId;
        row.attempt = attemptNumber;
        row.statusCode = attempt.status().orElse(null);
        row.durationMs = (int) Math.min(Integer.MAX_VALUE, attempt.durationMs());
        row.error = attempt.error();
        row.attemptedAt = attempt.at();
        row.persist();
    }

    static List<String> strings(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        try {
            return WireJson.MAPPER.readValue(json, STRINGS);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("webhook_subscription holds a list that is not JSON", e);
        }
    }
}
