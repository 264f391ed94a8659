package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;

/** A published notification, for {@code GET /notifications} and the live stream; {@code seq} is the cursor. */
@Entity
@Table(name = "notification")
public class NotificationEntity extends PanacheEntityBase {

    /** Assigned from its sequence under the writers' lock, in commit order (see SequenceBlock). */
    @Id
    public Long seq;

    @Column(name = "notification_id")
    public String notificationId;

    public String type;

    @Column(name = "policy_id")
    public String policyId;

    @Column(name = "occurred_at")
    public Instant occurredAt;

    @Column(name = "created_at")
    public Instant createdAt;

    /** The notification's {@code data} exactly as published. */
    @Column(columnDefinition = "json")
    @ColumnTransformer(write = "?::json")
    public String payload;

    /**
     * The payload's size in UTF-8 bytes, so that reads stopping at a byte budget sum this column
     * rather than measure every payload (NotificationReads); {@code null} on rows written before V16.
     */
    @Column(name = "payload_bytes")
    public Integer payloadBytes;
}
