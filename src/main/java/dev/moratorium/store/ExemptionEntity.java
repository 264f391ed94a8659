package dev.moratorium.store;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/** One exemption of a policy, with the interval it holds in (for decisions about past instants). */
@Entity
@Table(name = "exemption")
@IdClass(ExemptionEntity.Key.class)
public class ExemptionEntity extends PanacheEntityBase {

    @Id
    @Column(name = "policy_id")
    public String policyId;

    /** Its place in the policy's list, from 0; a grant appends, a revocation keeps the place. */
    @Id
    public int position;
    public String organization;

    @Column(name = "organization_key")
    public String organizationKey;

    public String purpose;

    @Column(name = "granted_at")
    public Instant grantedAt;

    @Column(name = "revoked_at")
    public Instant revokedAt;

    /** The primary key: policy and position. */
    public static final class Key implements Serializable {
        public String policyId;
        public int position;

        public Key() {
        }

        public Key(String policyId, int position) {
            this.policyId = policyId;
            this.position = position;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.position == position && Objects.equals(k.policyId, policyId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(policyId, position);
        }
    }
}
