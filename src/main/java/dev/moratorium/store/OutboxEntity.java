package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;

/**
 * A Kafka record waiting to be published, written in the same transaction as the change that
 * caused it. The relay publishes rows in id order and deletes them once the broker acknowledged.
 */
@Entity
@Table(name = "outbox")
public class OutboxEntity extends PanacheEntityBase {

    /** Assigned from its sequence under the writers' lock, in commit order (see SequenceBlock). */
    @Id
    public Long id;

    public String topic;

    @Column(name = "record_key")
    public byte[] recordKey;

    public byte[] payload;

    /** JSON array of {@code {"key", "value"}} with values in base64. */
    @Column(columnDefinition = "json")
    @ColumnTransformer(write = "?::json")
    public String headers;

    @Column(name = "created_at")
    public Instant createdAt;
}
