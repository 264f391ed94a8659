package dev.moratorium.write;

import dev.moratorium.outbox.ChangeSignal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;

/** Wakes the in-process waiters (outbox relay, live stream, access index) once a write has committed. */
@ApplicationScoped
class AfterCommit {

    @Inject
    ChangeSignal signal;

    void committed(@Observes(during = TransactionPhase.AFTER_SUCCESS) WritesCommitted event) {
        signal.changed();
    }
}
