package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;

/**
 * A webhook subscriber: where notifications go, with which secret, and how far delivery has got.
 * The delivery workers change it with conditional native updates (see webhook.DeliveryLedger); the
 * HTTP API through this entity, bumping {@link #version} so a worker holding an older one stops.
 */
@Entity
@Table(name = "webhook_subscription")
public class WebhookSubscriptionEntity extends PanacheEntityBase {

    public static final String ACTIVE = "ACTIVE";
    public static final String PAUSED = "PAUSED";
    public static final String FAILING = "FAILING";
    public static final String DISABLED = "DISABLED";

    @Id
    public String id;

    public String url;

    public String secret;

    @Column(name = "previous_secret")
    public String previousSecret;

    @Column(name = "previous_secret_until")
    public Instant previousSecretUntil;

    /** A JSON array of notification types; empty means every type. */
    @Column(columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    public String types;

    /** A JSON array of vendor names as given; empty means every vendor. */
    @Column(columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    public String vendors;

    public String description;

    public String status;

    @Column(name = "delivered_up_to")
    public long deliveredUpTo;

    @Column(name = "failing_since")
    public Instant failingSince;

    @Column(name = "next_attempt_at")
    public Instant nextAttemptAt;

    public int attempts;

    @Column(name = "last_error")
    public String lastError;

    @Column(name = "lease_holder")
    public String leaseHolder;

    @Column(name = "leased_until")
    public Instant leasedUntil;

    public long version;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;
}
