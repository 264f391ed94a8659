package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.time.Instant;

/** One attempt to deliver one notification to one subscriber, whatever its outcome. */
@Entity
@Table(name = "webhook_delivery")
public class WebhookDeliveryEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "webhook_delivery_seq")
    @SequenceGenerator(name = "webhook_delivery_seq", sequenceName = "webhook_delivery_seq", allocationSize = 50)
    public Long id;

    @Column(name = "subscription_id")
    public String subscriptionId;

    @Column(name = "notification_seq")
    public long notificationSeq;

    @Column(name = "webhook_id")
    public String webhookId;

    /** 1 for the first try of this notification, then 2, 3... */
    public int attempt;

    /** The receiver's status code; null when no answer came (timeout, connection refused...). */
    @Column(name = "status_code")
    public Integer statusCode;

    @Column(name = "duration_ms")
    public int durationMs;

    public String error;

    @Column(name = "attempted_at")
    public Instant attemptedAt;
}
