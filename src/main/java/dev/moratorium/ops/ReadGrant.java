package dev.moratorium.ops;

import java.util.Locale;
import java.util.Set;
import org.apache.kafka.common.acl.AclOperation;

/** Whether the broker lets the service's Kafka user read a topic, or a consumer group, as it last said. */
public enum ReadGrant {
    GRANTED,
    REFUSED,
    /** The topic does not exist (the service never creates it). */
    MISSING,
    /** Not asked yet, the broker could not be asked, or it did not say. */
    UNKNOWN;

    /**
     * From the operations the broker says the user may perform on the resource (KIP-430); null when
     * it did not say. A broker without an authorizer lists every operation. Read lets a consumer
     * fetch (a topic), join and commit (a group); All includes it.
     */
    public static ReadGrant of(Set<AclOperation> authorized) {
        if (authorized == null) {
            return UNKNOWN;
        }
        return authorized.contains(AclOperation.READ) || authorized.contains(AclOperation.ALL) ? GRANTED : REFUSED;
    }

    /** As the readiness check's data says it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
