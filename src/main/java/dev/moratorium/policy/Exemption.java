package dev.moratorium.policy;

import java.time.Instant;
import java.util.Objects;

/**
 * An organization that keeps access despite a moratorium.
 *
 * <p>Exemptions keep their validity interval so that an access decision for a past instant sees
 * the exemptions that were in force then: {@code grantedAt} is {@code null} for exemptions named in
 * the announcement (they hold from the start), {@code revokedAt} is {@code null} while in force.
 */
public record Exemption(String organization, String purpose, Instant grantedAt, Instant revokedAt) {

    public Exemption {
        Objects.requireNonNull(organization, "organization");
    }

    public static Exemption fromStart(String organization, String purpose) {
        return new Exemption(organization, purpose, null, null);
    }

    public boolean isRevoked() {
        return revokedAt != null;
    }

    /** Names match case-insensitively (CONTRACT.md §1). */
    public boolean isFor(String otherOrganization) {
        return otherOrganization != null && Names.same(organization, otherOrganization);
    }

    public boolean heldAt(Instant instant) {
        return (grantedAt == null || !instant.isBefore(grantedAt))
                && (revokedAt == null || instant.isBefore(revokedAt));
    }

    public Exemption revokedAt(Instant instant) {
        return new Exemption(organization, purpose, grantedAt, instant);
    }
}
