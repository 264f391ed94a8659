package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;

/** An applied event in a policy's history; {@code eventId} is unique, which is what de-duplicates. */
@Entity
@Table(name = "policy_event")
public class PolicyEventEntity extends PanacheEntityBase {

    /**
     * Assigned from {@code policy_event_seq} under the writers' lock (see AppendOnlyRows), so that a
     * policy's history in id order is the order its events were applied in. A pooled generator
     * reserves ids ahead, per replica: after a partition moved between replicas, a policy's later
     * event could get a lower id than its announcement (seen in FrozenReplicaIT).
     */
    @Id
    public Long id;

    @Column(name = "event_id")
    public String eventId;

    @Column(name = "policy_id")
    public String policyId;

    public String type;
    public String source;

    @Column(name = "event_time")
    public Instant eventTime;

    /** The event's {@code data} object as JSON. */
    @Column(columnDefinition = "json")
    @ColumnTransformer(write = "?::json")
    public String data;

    /** The data's size in UTF-8 bytes, what a page of the history counts; {@code null} on rows written before V17. */
    @Column(name = "data_bytes")
    public Integer dataBytes;

    @Column(name = "received_at")
    public Instant receivedAt;

    @Column(name = "kafka_partition")
    public Integer kafkaPartition;

    @Column(name = "kafka_offset")
    public Long kafkaOffset;
}
