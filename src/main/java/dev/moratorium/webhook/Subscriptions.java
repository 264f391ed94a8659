package dev.moratorium.webhook;

import dev.moratorium.clock.Wall;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.NotificationType;
import dev.moratorium.store.NotificationReads;
import dev.moratorium.store.WebhookDeliveryEntity;
import dev.moratorium.store.WebhookSubscriptionEntity;
import dev.moratorium.store.WriteBounds;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.wire.WireJson;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Writing and reading webhook subscriptions. Every write bumps the version, so a delivery worker
 * that claimed the subscription before stops rather than undo the change; the worker's lease is
 * left in place, so one worker at most ever delivers to a subscriber.
 */
@ApplicationScoped
@Transactional
public class Subscriptions {

    public static final int MAX_FILTER_VALUES = 50;
    public static final int MAX_NAME = 200;
    public static final int MAX_DESCRIPTION = 500;
    /** The creations' advisory lock ("webhook_" in ASCII), apart from the writers' (store.WriterLock.KEY). */
    private static final long CREATION_LOCK = 0x776562686f6f6b5fL;
    private static final Set<String> TYPES = Arrays.stream(NotificationType.values())
            .map(NotificationType::wireName).collect(Collectors.toUnmodifiableSet());

    @Inject
    WebhookSettings settings;

    @Inject
    TargetGuard guard;

    @Inject
    EntityManager em;

    @Inject
    NotificationReads notifications;

    @Inject
    DeliveryWorkers workers;

    @Inject
    WriteBounds bounds;

    @Inject
    @Wall
    Clock wall;

    /** A new subscription and its secret, which is shown this once. */
    public record Created(WebhookSubscriptionEntity subscription, String secret) {
    }

    /** What a PATCH may change; an absent field stays as it is. */
    public record Changes(Optional<String> url, Optional<List<String>> types, Optional<List<String>> vendors,
            Optional<String> description, Optional<Boolean> paused, boolean rotateSecret) {
    }

    /** The subscription after a change, and the new secret if it was rotated. */
    public record Changed(WebhookSubscriptionEntity subscription, Optional<String> newSecret) {
    }

    /** Delivery starts with the next notification: history is there to replay, not sent unasked. */
    public Created create(String url, List<String> types, List<String> vendors, String description) {
        WebhookSubscriptionEntity s = new WebhookSubscriptionEntity();
        s.url = checkedUrl(url);
        s.types = WireJson.MAPPER.valueToTree(checkedTypes(types)).toString();
        s.vendors = WireJson.MAPPER.valueToTree(checkedVendors(vendors)).toString();
        s.description = checkedDescription(description);
        bounds.apply();
        roomForOneMore();
        Instant now = now();
        s.id = UUID.randomUUID().toString();
        s.secret = WebhookSecrets.generate();
        s.status = WebhookSubscriptionEntity.ACTIVE;
        s.deliveredUpTo = head();
        s.nextAttemptAt = now;
        s.createdAt = now;
        s.updatedAt = now;
        s.persist();
        workers.subscriptionsMayBeActive();
        return new Created(s, s.secret);
    }

    /**
     * Refuses a subscription past the cap. The count and the insert are serialized across replicas
     * by a transaction-scoped advisory lock that only creations take: without it, two replicas
     * counting at once could both pass the cap. The count reads at most the cap's rows.
     */
    private void roomForOneMore() {
        em.createNativeQuery("SELECT pg_advisory_xact_lock(" + CREATION_LOCK + ")").getSingleResult();
        long existing = ((Number) em.createNativeQuery("SELECT count(*) FROM webhook_subscription").getSingleResult())
                .longValue();
        if (existing >= settings.maxSubscriptions()) {
            throw new SubscriptionLimitReached("there are " + existing + " webhook subscriptions, and"
                    + " moratorium.webhooks.max-subscriptions allows " + settings.maxSubscriptions()
                    + "; delete one before adding another");
        }
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<WebhookSubscriptionEntity> list() {
        return WebhookSubscriptionEntity.listAll(Sort.ascending("createdAt", "id"));
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<WebhookSubscriptionEntity> find(String id) {
        return WebhookSubscriptionEntity.findByIdOptional(id);
    }

    public Optional<Changed> change(String id, Changes changes) {
        bounds.apply();
        Optional<WebhookSubscriptionEntity> found = WebhookSubscriptionEntity.findByIdOptional(id);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        WebhookSubscriptionEntity s = found.get();
        Instant now = now();
        changes.url().ifPresent(url -> s.url = checkedUrl(url));
        changes.types().ifPresent(t -> s.types = WireJson.MAPPER.valueToTree(checkedTypes(t)).toString());
        changes.vendors().ifPresent(v -> s.vendors = WireJson.MAPPER.valueToTree(checkedVendors(v)).toString());
        changes.description().ifPresent(d -> s.description = checkedDescription(d));
        changes.paused().ifPresent(paused -> {
            if (paused) {
                s.status = WebhookSubscriptionEntity.PAUSED;
            } else {
                resume(s, now);
            }
        });
        Optional<String> newSecret = Optional.empty();
        if (changes.rotateSecret()) {
            s.previousSecret = s.secret;
            s.previousSecretUntil = now.plus(settings.secretOverlap());
            s.secret = WebhookSecrets.generate();
            newSecret = Optional.of(s.secret);
        }
        touch(s, now);
        em.flush(); // here, not at the commit: a lock not granted then reaches the caller as itself
        workers.subscriptionsMayBeActive();
        return Optional.of(new Changed(s, newSecret));
    }

    /** In microseconds, as the store keeps it, so the answer that made a change and later reads agree. */
    private Instant now() {
        return wall.instant();
    }

    /** Whatever parked it (a pause, the retry window, a 410), it is delivered to again, from its cursor. */
    private static void resume(WebhookSubscriptionEntity s, Instant now) {
        s.status = WebhookSubscriptionEntity.ACTIVE;
        s.attempts = 0;
        s.failingSince = null;
        s.nextAttemptAt = now;
    }

    public boolean delete(String id) {
        bounds.apply();
        boolean deleted = WebhookSubscriptionEntity.deleteById(id);
        em.flush();
        return deleted;
    }

    /** Delivers again everything after {@code after} (its status stays: a paused one waits to be resumed). */
    public Optional<WebhookSubscriptionEntity> replay(String id, long after) {
        bounds.apply();
        Optional<WebhookSubscriptionEntity> found = WebhookSubscriptionEntity.findByIdOptional(id);
        found.ifPresent(s -> {
            // the sequence's last value, not the highest row: retention may have deleted the newest rows,
            // and a subscriber's cursor past them (its own deliveredUpTo among them) is still this database's
            long last = notifications.lastNumbered();
            if (after > last) {
                throw new InvalidSubscription("after must be at most " + last + ", the last sequence given to a"
                        + " notification");
            }
            Instant now = now();
            s.deliveredUpTo = after;
            s.attempts = 0;
            s.failingSince = null;
            s.nextAttemptAt = now;
            touch(s, now);
            em.flush();
            workers.subscriptionsMayBeActive();
        });
        return found;
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<List<WebhookDeliveryEntity>> deliveries(String id, long after, int limit) {
        if (find(id).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(WebhookDeliveryEntity.<WebhookDeliveryEntity>find("subscriptionId = ?1 and id > ?2",
                Sort.ascending("id"), id, after).page(Page.ofSize(limit)).list());
    }

    private static void touch(WebhookSubscriptionEntity s, Instant now) {
        s.version++;
        s.updatedAt = now;
    }

    private long head() {
        return ((Number) em.createNativeQuery("SELECT coalesce(max(seq), 0) FROM notification").getSingleResult())
                .longValue();
    }

    private String checkedUrl(String url) {
        guard.problem(url).ifPresent(problem -> {
            throw new InvalidSubscription(problem);
        });
        return url;
    }

    private static List<String> checkedTypes(List<String> types) {
        List<String> list = checkedList("types", types);
        for (String t : list) {
            if (!TYPES.contains(t)) {
                throw new InvalidSubscription("types: \"" + shorten(t) + "\" is not a notification type; one of "
                        + TYPES.stream().sorted().collect(Collectors.joining(", ")));
            }
        }
        return list;
    }

    private static List<String> checkedVendors(List<String> vendors) {
        List<String> list = checkedList("vendors", vendors);
        for (String v : list) {
            String key = Names.key(v);
            if (key == null || key.isEmpty() || Sanitize.characters(key) > MAX_NAME) {
                throw new InvalidSubscription("vendors: each must be a name of 1 to " + MAX_NAME + " characters");
            }
        }
        return list;
    }

    private static List<String> checkedList(String field, List<String> values) {
        if (values == null) {
            return List.of();
        }
        if (values.size() > MAX_FILTER_VALUES) {
            throw new InvalidSubscription(field + " may hold at most " + MAX_FILTER_VALUES + " values");
        }
        for (String v : values) {
            if (v == null || v.isBlank() || !isPlainText(v)) {
                throw new InvalidSubscription(field + ": each must be a non-blank string without control characters"
                        + " or half a surrogate pair");
            }
        }
        return List.copyOf(new LinkedHashSet<>(values));
    }

    private static String checkedDescription(String description) {
        if (description == null) {
            return null;
        }
        if (Sanitize.characters(description) > MAX_DESCRIPTION || !isPlainText(description)) {
            throw new InvalidSubscription("description must be at most " + MAX_DESCRIPTION
                    + " characters without control characters or half a surrogate pair");
        }
        return description;
    }

    /**
     * No control characters, and no half of a surrogate pair (which a JSON escape can name alone):
     * UTF-8 cannot hold one, so PostgreSQL's driver wrote "?" in its place, and the subscription
     * kept was not the one answered: a vendor filter became "?", and a URL (which TargetGuard
     * checks) with the path "/a", a lone surrogate, "b" became "/a?b", a query.
     */
    private static boolean isPlainText(String s) {
        return !Sanitize.hasControlCharacters(s) && !Sanitize.hasLoneSurrogate(s);
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
