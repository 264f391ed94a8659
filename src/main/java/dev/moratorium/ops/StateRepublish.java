package dev.moratorium.ops;

import dev.moratorium.clock.Wall;
import dev.moratorium.store.PendingOutbox;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.write.CurrentStates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.logging.Logger;

/**
 * Publishes every policy's current state to {@code moratorium-state} again, when an operator asks
 * ({@code POST /ops/state-republish}) or the topic is found made anew ({@link StateTopicWatch}):
 * the compacted topic is how subscribers rebuild the table,
 * and nothing else brings back what it lost — a topic deleted and made anew (with more partitions,
 * say: a policy's key then maps to another partition, and its old record stays in the old one),
 * records cut by a retention set by mistake, a cluster restored from an older backup.
 *
 * <p>The policies go in id order, {@value #CHUNK} at a time ({@link CurrentStates#republishAfter}),
 * each chunk one unit of work under the writers' lock, so a change committed meanwhile is
 * published after the state it replaces. Paced by the relay: while {@value #PAUSE_AT_BACKLOG} rows
 * wait in the outbox, no chunk is queued, so the outbox holds at most that plus one chunk, however
 * many policies there are, and changes keep flowing between chunks. A chunk that fails (the
 * database or the writers' lock out of reach) is tried again, up to 30 s apart, until it goes or
 * the service stops.
 *
 * <p>One run at a time on a replica, held in memory: a run cut short by a stop is resumed by asking
 * again with {@code after}, the last policy queued (answered by {@code GET}, and logged every
 * {@value #LOG_EVERY} policies). Republishing a state twice is harmless: a subscriber keeps the last
 * record of each policy, and each is the state the policy had when it was queued.
 */
@ApplicationScoped
public class StateRepublish {

    private static final Logger LOG = Logger.getLogger(StateRepublish.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "States not republished");

    static final int CHUNK = 200;
    static final int PAUSE_AT_BACKLOG = 2_000;
    static final int LOG_EVERY = 10_000;
    private static final Duration PAUSE = Duration.ofMillis(200);
    private static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(30);

    /** Where a run stands; {@code lastQueued} is the {@code after} that resumes it. */
    @Schema(name = "StateRepublishProgress")
    public record Progress(Status status,
            @Schema(nullable = true) Instant startedAt,
            @Schema(nullable = true, description = "when it finished or stopped") Instant endedAt,
            @Schema(nullable = true, description = "the after it was started with; null: from the first policy")
            String startedAfter,
            @Schema(nullable = true, description = "the last policy whose state was queued: the after that resumes it")
            String lastQueued,
            long policiesQueued,
            @Schema(nullable = true, description = "why the last chunk failed, while it is being tried again")
            String lastError) {

        static Progress none() {
            return new Progress(Status.IDLE, null, null, null, null, 0, null);
        }

        public boolean running() {
            return status == Status.RUNNING;
        }
    }

    /** IDLE: none since this replica started; STOPPED: cut short by the service's stop. */
    public enum Status {
        IDLE, RUNNING, FINISHED, STOPPED
    }

    @Inject
    CurrentStates states;

    @Inject
    PendingOutbox outbox;

    /** Real time, not the service clock (which a replay sets back): when a run started and ended. */
    @Inject
    @Wall
    Clock clock;

    @Inject
    MeterRegistry registry;

    private final AtomicReference<Progress> progress = new AtomicReference<>(Progress.none());
    private volatile boolean stopping;
    /** Set when the topic was made anew during a run: what the run queued so far went to the old topic. */
    private volatile boolean backToFirst;
    private volatile Thread worker;
    private Counter queued;

    @PostConstruct
    void init() {
        queued = Counter.builder("moratorium.state.republished")
                .description("Current states queued again for moratorium-state (POST /ops/state-republish)")
                .register(registry);
    }

    public Progress progress() {
        return progress.get();
    }

    /**
     * Starts a run after {@code after} (the first policy when empty).
     *
     * @return the run's progress; empty if one is running on this replica, or the service is stopping
     */
    public synchronized Optional<Progress> start(String after) {
        if (progress.get().running() || stopping) {
            return Optional.empty();
        }
        Progress started = new Progress(Status.RUNNING, clock.instant(), null, after.isEmpty() ? null : after, null, 0,
                null);
        progress.set(started);
        Thread t = new Thread(() -> run(after), "state-republish");
        t.setDaemon(true);
        worker = t;
        t.start();
        LOG.infof("Republishing every policy's current state to moratorium-state%s",
                after.isEmpty() ? "" : " after policy " + after);
        return Optional.of(started);
    }

    /**
     * Starts a run from the first policy, or, if one is running on this replica, sends it back to the
     * first policy: the states it queued so far may have gone to a topic that is gone ({@code why}
     * says what asked for it, in the log line that says so).
     *
     * @return false if the service is stopping
     */
    public synchronized boolean startFromFirst(String why) {
        if (stopping) {
            return false;
        }
        if (progress.get().running()) {
            backToFirst = true;
            progress.set(new Progress(Status.RUNNING, clock.instant(), null, null, null, 0, null));
            LOG.infof("%s: the republishing in progress starts again from the first policy", why);
            return true;
        }
        return start("").isPresent();
    }

    private void run(String after) {
        String cursor = after;
        Duration retryWait = Duration.ofSeconds(1);
        while (!stopping) {
            if (backToFirst) { // read and cleared by this thread only; set under the lock
                backToFirst = false;
                cursor = "";
            }
            try {
                if (outboxBacklog() >= PAUSE_AT_BACKLOG) {
                    pause(PAUSE);
                    continue;
                }
                Optional<CurrentStates.Chunk> chunk = states.republishAfter(cursor, CHUNK);
                if (chunk.isEmpty()) {
                    if (finishUnlessSentBack()) {
                        return;
                    }
                    continue;
                }
                queued.increment(chunk.get().policies());
                if (backToFirst) {
                    continue; // sent back meanwhile: the progress counts from the first policy
                }
                cursor = chunk.get().last();
                long before = progress.get().policiesQueued();
                long now = advance(chunk.get());
                if (now / LOG_EVERY > before / LOG_EVERY) {
                    LOG.infof("Republished %d current states so far; the last: policy %s", now, cursor);
                }
                retryWait = Duration.ofSeconds(1);
                failureLog.succeeded();
            } catch (RuntimeException e) {
                String reason = Sanitize.forLog(String.valueOf(e.getMessage()));
                progress.updateAndGet(p -> new Progress(p.status(), p.startedAt(), null, p.startedAfter(),
                        p.lastQueued(), p.policiesQueued(), reason));
                // as every retrying loop: a line when it begins, one a minute while it lasts, one when it ends
                failureLog.failed("trying the chunk after policy " + (cursor.isEmpty() ? "(none yet)" : cursor)
                        + " again, up to 30 s apart: " + reason);
                pause(retryWait);
                retryWait = retryWait.multipliedBy(2).compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT
                        : retryWait.multipliedBy(2);
            }
        }
        end(Status.STOPPED);
    }

    private long advance(CurrentStates.Chunk chunk) {
        return progress.updateAndGet(p -> new Progress(p.status(), p.startedAt(), null, p.startedAfter(), chunk.last(),
                p.policiesQueued() + chunk.policies(), null)).policiesQueued();
    }

    private long outboxBacklog() {
        return QuarkusTransaction.requiringNew().call(() -> outbox.countUpTo(PAUSE_AT_BACKLOG));
    }

    /** Sleeps up to {@code wait}, less when the service stops (never interrupted: a chunk may be in a JDBC call). */
    private void pause(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        while (!stopping && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Finishes the run, unless {@link #startFromFirst} sent it back meanwhile (both under the lock). */
    private synchronized boolean finishUnlessSentBack() {
        if (backToFirst) {
            return false;
        }
        end(Status.FINISHED);
        return true;
    }

    private void end(Status status) {
        Progress p = progress.updateAndGet(q -> new Progress(status, q.startedAt(), clock.instant(), q.startedAfter(),
                q.lastQueued(), q.policiesQueued(), q.lastError()));
        LOG.infof("Republishing states %s: %d current states queued, the last: policy %s",
                status == Status.FINISHED ? "finished" : "stopped", p.policiesQueued(),
                p.lastQueued() == null ? "(none)" : p.lastQueued());
    }

    /** On the service's stop: no chunk after the one in flight, which is waited for up to {@code wait}. */
    public void stop(Duration wait) throws InterruptedException {
        stopping = true;
        Thread t = worker;
        if (t != null) {
            t.join(wait.toMillis());
        }
    }
}
