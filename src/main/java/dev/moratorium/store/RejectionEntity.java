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

/** A rejected record, kept byte for byte with its reason so it can be listed and retried. */
@Entity
@Table(name = "rejection")
public class RejectionEntity extends PanacheEntityBase {

    public static final String OPEN = "OPEN";
    public static final String RESOLVED = "RESOLVED";

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "rejection_seq")
    @SequenceGenerator(name = "rejection_seq", sequenceName = "rejection_seq", allocationSize = 50)
    public Long id;

    public String topic;

    @Column(name = "kafka_partition")
    public int kafkaPartition;

    @Column(name = "kafka_offset")
    public long kafkaOffset;

    /** Which incarnation of the topic it was read from (V27): raised each time the topic is made anew. */
    @Column(name = "topic_generation")
    public int topicGeneration;

    @Column(name = "record_key")
    public byte[] recordKey;

    @Column(name = "record_value")
    public byte[] recordValue;

    /** JSON array of {@code {"key", "value"}} with values in base64 (headers are bytes). */
    @Column(columnDefinition = "json")
    @ColumnTransformer(write = "?::json")
    public String headers;

    /**
     * The headers' preview, cut when the row is kept ({@link HeaderPreviews#stored}); NULL on rows kept
     * before V14, whose previews are cut when listed.
     */
    @Column(name = "header_preview", columnDefinition = "json")
    @ColumnTransformer(write = "?::json")
    public String headerPreview;

    /** How many headers the record had; NULL with {@link #headerPreview}. */
    @Column(name = "header_count")
    public Integer headerCount;

    @Column(name = "reason_code")
    public String reasonCode;

    @Column(name = "reason_message")
    public String reasonMessage;

    @Column(name = "event_id")
    public String eventId;

    @Column(name = "received_at")
    public Instant receivedAt;

    public String status;

    @Column(name = "retry_count")
    public int retryCount;

    @Column(name = "last_retried_at")
    public Instant lastRetriedAt;

    public String resolution;
}
