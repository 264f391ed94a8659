package dev.moratorium.ingest;

import dev.moratorium.policy.RejectionReason;

/** Thrown inside the reader to stop at the first problem; always caught and turned into a rejection. */
final class FieldProblem extends RuntimeException {

    final RejectionReason reason;

    FieldProblem(RejectionReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    static FieldProblem invalid(String message) {
        return new FieldProblem(RejectionReason.INVALID_FIELD, message);
    }
}
