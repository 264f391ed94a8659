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
import org.hibernate.annotations.ColumnTransformer;

/** An applied event in a policy's history; {@code eventId} is unique, which is what de-duplicates. */
@Entity
@Table(name = "policy_event")
public class PolicyEventEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "policy_event_seq")
    @SequenceGenerator(name = "policy_event_seq", sequenceName = "policy_event_seq", allocationSize = 50)
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

    @Column(name = "received_at")
    public Instant receivedAt;

    @Column(name = "kafka_partition")
    public Integer kafkaPartition;

    @Column(name = "kafka_offset")
    public Long kafkaOffset;
}
