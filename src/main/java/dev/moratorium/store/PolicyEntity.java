package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A policy's current state; its exemptions are {@link ExemptionEntity} rows. */
@Entity
@Table(name = "policy")
public class PolicyEntity extends PanacheEntityBase {

    @Id
    @Column(name = "policy_id")
    public String policyId;

    public String kind;
    public String vendor;
    public String product;

    @Column(name = "vendor_key")
    public String vendorKey;

    @Column(name = "product_key")
    public String productKey;

    /** A JSON array of the segment names as announced. */
    @Column(columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    public String segments;

    /**
     * The segments' {@link dev.moratorium.policy.Names#key}s, so that "covers segment s" is an
     * indexed query (GIN, see V5): {@code segment_keys && ARRAY[key(s), '*']}.
     */
    @Column(name = "segment_keys")
    @JdbcTypeCode(SqlTypes.ARRAY)
    public String[] segmentKeys;

    public String status;

    @Column(name = "effective_from")
    public Instant effectiveFrom;

    @Column(name = "effective_until")
    public Instant effectiveUntil;

    @Column(name = "lifted_at")
    public Instant liftedAt;

    public String jurisdiction;
    public String reason;

    @Column(name = "source_url")
    public String sourceUrl;

    @Column(name = "evaluated_at")
    public Instant evaluatedAt;

    @Column(name = "next_due_at")
    public Instant nextDueAt;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;
}
