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

/** One exemption of a policy, with the interval it holds in (for decisions about past instants). */
@Entity
@Table(name = "exemption")
public class ExemptionEntity extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "exemption_seq")
    @SequenceGenerator(name = "exemption_seq", sequenceName = "exemption_seq", allocationSize = 50)
    public Long id;

    @Column(name = "policy_id")
    public String policyId;

    public int position;
    public String organization;

    @Column(name = "organization_key")
    public String organizationKey;

    public String purpose;

    @Column(name = "granted_at")
    public Instant grantedAt;

    @Column(name = "revoked_at")
    public Instant revokedAt;
}
