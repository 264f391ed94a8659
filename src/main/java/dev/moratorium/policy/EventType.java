package dev.moratorium.policy;

import java.util.Arrays;
import java.util.Optional;

/** The six CloudEvent types accepted on {@code policy-changes} (CONTRACT.md §1). */
public enum EventType {
    MORATORIUM_ANNOUNCED("moratorium.announced"),
    MORATORIUM_EXTENDED("moratorium.extended"),
    MORATORIUM_LIFTED("moratorium.lifted"),
    EXEMPTION_GRANTED("moratorium.exemption-granted"),
    EXEMPTION_REVOKED("moratorium.exemption-revoked"),
    PRODUCT_WITHDRAWN("product.withdrawn");

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Does this event create a policy (rather than act on an existing one)? */
    public boolean createsPolicy() {
        return this == MORATORIUM_ANNOUNCED || this == PRODUCT_WITHDRAWN;
    }

    public static Optional<EventType> fromWire(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }
}
