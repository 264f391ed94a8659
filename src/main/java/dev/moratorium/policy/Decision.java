package dev.moratorium.policy;

/** The verdict on one event: applied with an outcome, or rejected with a reason. */
public sealed interface Decision {

    record Applied(Outcome outcome) implements Decision {
    }

    record Rejected(Rejection rejection) implements Decision {
    }

    static Decision applied(Outcome outcome) {
        return new Applied(outcome);
    }

    static Decision rejected(RejectionReason reason, String message) {
        return new Rejected(Rejection.of(reason, message));
    }
}
