package dev.moratorium.policy;

import java.util.Objects;

/** Why a record was not applied: a reason code and one sentence a person can act on. */
public record Rejection(RejectionReason reason, String message) {

    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    public static Rejection of(RejectionReason reason, String message) {
        return new Rejection(reason, message);
    }

    /** The value of the {@code dead-letter-reason} header: code, colon, sentence. */
    public String deadLetterReason() {
        return reason.code() + ": " + message;
    }
}
