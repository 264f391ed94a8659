package dev.moratorium.policy;

/** The notification types of CONTRACT.md §2. */
public enum NotificationType {
    ACCESS_SUSPENDED("access.suspended"),
    SUSPENSION_EXTENDED("access.suspension-extended"),
    ACCESS_RESTORED("access.restored"),
    EXPIRY_APPROACHING("access.expiry-approaching"),
    ACCESS_WITHDRAWN("access.withdrawn"),
    EXEMPTION_GRANTED("exemption.granted"),
    EXEMPTION_REVOKED("exemption.revoked");

    private final String wireName;

    NotificationType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
