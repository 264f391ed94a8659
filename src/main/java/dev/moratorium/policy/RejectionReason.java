package dev.moratorium.policy;

/** The reason codes of CONTRACT.md §1, in the order the checks run. */
public enum RejectionReason {
    TOO_LARGE("too-large"),
    MALFORMED_JSON("malformed-json"),
    NOT_A_CLOUDEVENT("not-a-cloudevent"),
    UNKNOWN_TYPE("unknown-type"),
    INVALID_FIELD("invalid-field"),
    INVALID_INTERVAL("invalid-interval"),
    KEY_MISMATCH("key-mismatch"),
    UNKNOWN_POLICY("unknown-policy"),
    DUPLICATE_POLICY("duplicate-policy"),
    NOT_AN_EXTENSION("not-an-extension"),
    POLICY_CLOSED("policy-closed");

    private final String code;

    RejectionReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
