package dev.moratorium.ops;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.store.PendingOutbox;
import dev.moratorium.store.RepublishRuns;
import dev.moratorium.store.RepublishRuns.Run;
import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.ReplicaName;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.write.CurrentStates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.logging.Logger;

/**
 * Publishes every policy's current state to {@code moratorium-state} again, when an operator asks
 * ({@code POST /ops/state-republish}) or the topic is found made anew ({@link StateTopicWatch}):
 * the compacted topic is how subscribers rebuild the table, and nothing else brings back what it
 * lost — a topic deleted and made anew (with more partitions, say: a policy's key then maps to
 * another partition, and its old record stays in the old one), records cut by a retention set by
 * mistake, a cluster restored from an older backup.
 *
 * <p>The policies go in id order, {@value #CHUNK} at a time ({@link CurrentStates#republishAfter}),
 * each chunk one unit of work under the writers' lock, so a change committed meanwhile is
 * published after the state it replaces. Paced by the relay: while {@value #PAUSE_AT_BACKLOG} rows
 * wait in the outbox, no chunk is queued, so the outbox holds at most that plus one chunk, however
 * many policies there are, and changes keep flowing between chunks. A chunk that fails (the
 * database or the writers' lock out of reach) is tried again, up to 30 s apart, until it goes or
 * the service stops.
 *
 * <p>A run is the database's, not a replica's ({@link RepublishRuns}): one at a time in the whole
 * deployment, its cursor moved in the transaction that queues each chunk, held by the replica that
 * runs it for a lease ({@code moratorium.state-topic.republish-lease}) renewed at every chunk. A
 * replica that stops lets go of it; one that dies or freezes loses it when the lease runs out
 * (RepublishTakeoverIT); either way another replica, looking every
 * {@value #ADOPT_EVERY}, goes on after the last policy queued. A holder whose lease was taken, or
 * whose run was started again from the first policy, finds out at its next chunk, which it rolls
 * back. Republishing a state twice is harmless: a subscriber keeps the last record of each policy,
 * and each is the state the policy had when it was queued.
 */
@ApplicationScoped
public class StateRepublish {

    private static final Logger LOG = Logger.getLogger(StateRepublish.class);
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "States not republished");

    static final int CHUNK = 200;
    static final int PAUSE_AT_BACKLOG = 2_000;
    static final int LOG_EVERY = 10_000;
    static final String ADOPT_EVERY = "10s";
    private static final Duration PAUSE = Duration.ofMillis(200);
    private static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(30);

    /** The run in progress or the last one, on whichever replica; {@code lastQueued} is the after that resumes it. */
    @Schema(name = "StateRepublishProgress")
    public record Progress(Status status,
            @Schema(nullable = true) Instant startedAt,
            @Schema(nullable = true) Instant endedAt,
            @Schema(nullable = true, description = "the after it was started with; null: from the first policy")
            String startedAfter,
            @Schema(nullable = true, description = "the last policy whose state was queued: where the run goes on")
            String lastQueued,
            long policiesQueued,
            @Schema(nullable = true, description = "who or what started it: POST /ops/state-republish, the topic made anew, or found keeping every last state again")
            String reason,
            @Schema(nullable = true, description = "the replica running it (host:process:random); null: none yet, or done")
            String holder,
            @Schema(nullable = true, description = "why its last chunk failed, while it is being tried again (answered by its holder)")
            String lastError) {

        static Progress of(Optional<Run> row, String holder, String lastError) {
            if (row.isEmpty()) {
                return new Progress(Status.IDLE, null, null, null, null, 0, null, null, null);
            }
            Run r = row.get();
            return new Progress(r.running() ? Status.RUNNING : Status.FINISHED, r.startedAt(), r.endedAt(),
                    r.startedAfter(), r.afterPolicy().isEmpty() ? null : r.afterPolicy(), r.queued(), r.reason(),
                    r.holder(), r.running() && holder.equals(r.holder()) ? lastError : null);
        }
    }

    /** IDLE: none ever ran. */
    public enum Status {
        IDLE, RUNNING, FINISHED
    }

    /** What a chunk's transaction did. */
    private enum Step {
        QUEUED, FINISHED, LOST
    }

    /** How long a holder keeps a run without a chunk or a renewal. */
    private Duration lease() {
        return config.stateTopic().republishLease();
    }

    /** A chunk's transaction: what it did, and the chunk it queued (QUEUED only). */
    private record Done(Step step, CurrentStates.Chunk chunk) {
    }

    @Inject
    CurrentStates states;

    @Inject
    PendingOutbox outbox;

    @Inject
    RepublishRuns runs;

    @Inject
    MeterRegistry registry;

    @Inject
    MoratoriumConfig config;

    private final String holder = ReplicaName.create();
    private volatile boolean stopping;
    private volatile Thread worker;
    private volatile String lastError;
    private Counter queued;

    @PostConstruct
    void init() {
        queued = Counter.builder("moratorium.state.republished")
                .description("Current states queued again for moratorium-state (POST /ops/state-republish, the topic made anew)")
                .register(registry);
    }

    public Progress progress() {
        return Progress.of(QuarkusTransaction.requiringNew().call(runs::read), holder, lastError);
    }

    /**
     * Starts a run after {@code after} (the first policy when empty), on this replica.
     *
     * @return the run's progress; empty if one is running (on any replica), or the service is stopping
     */
    public synchronized Optional<Progress> start(String after) {
        if (stopping) {
            return Optional.empty();
        }
        OptionalLong generation = QuarkusTransaction.requiringNew()
                .call(() -> runs.start(after, "POST /ops/state-republish", holder, lease()));
        if (generation.isEmpty()) {
            return Optional.empty();
        }
        LOG.infof("Republishing every policy's current state to moratorium-state%s",
                after.isEmpty() ? "" : " after policy " + after);
        runHere();
        return Optional.of(progress());
    }

    /**
     * In the caller's transaction: a run from the first policy, whether one is running or not (its
     * holder goes back to the first policy at its next chunk). {@link #adopt} takes it once that commits.
     */
    public void startFromFirst(String reason) {
        runs.startFromFirst(reason);
    }

    /**
     * Takes a run nobody holds — just started from the first policy, let go by a replica that stopped,
     * or held by one whose lease ran out — and goes on with it here.
     */
    @Scheduled(every = ADOPT_EVERY, delayed = ADOPT_EVERY, skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public synchronized void adopt() {
        Thread t = worker;
        if (stopping || (t != null && t.isAlive())) {
            return;
        }
        try {
            Optional<Run> taken = QuarkusTransaction.requiringNew().call(() -> runs.claim(holder, lease()));
            if (taken.isPresent()) {
                LOG.infof("Republishing every policy's current state to moratorium-state (%s): going on after %s,"
                        + " %d queued so far", Sanitize.forLog(taken.get().reason()), taken.get().afterPolicy().isEmpty()
                                ? "the start" : "policy " + taken.get().afterPolicy(), taken.get().queued());
                runHere();
            }
        } catch (RuntimeException e) {
            // the database out of reach: the next look tries again (the loops that need it say so in the log)
            LOG.debugf("No state republication taken: %s", Sanitize.forLog(String.valueOf(e.getMessage())));
        }
    }

    private void runHere() {
        Thread t = new Thread(this::run, "state-republish");
        t.setDaemon(true);
        worker = t;
        t.start();
    }

    private void run() {
        Duration retryWait = Duration.ofSeconds(1);
        Run held = null;
        long generation = 0;
        long renewedAt = System.nanoTime();
        while (!stopping) {
            try {
                if (held == null) {
                    long before = generation;
                    held = QuarkusTransaction.requiringNew().call(() -> runs.claim(holder, lease())).orElse(null);
                    if (held == null) {
                        Optional<Run> now = QuarkusTransaction.requiringNew().call(runs::read);
                        LOG.infof("Republishing states no longer here: %s", now.filter(Run::running)
                                .map(r -> "the run is held by " + Sanitize.forLog(String.valueOf(r.holder())))
                                .orElse("the run is finished"));
                        return;
                    }
                    generation = held.generation();
                    if (before != 0 && before != generation) {
                        LOG.infof("Republishing states from the first policy again: %s", Sanitize.forLog(held.reason()));
                    }
                }
                Run h = held;
                if (outboxBacklog() >= PAUSE_AT_BACKLOG) {
                    // a quarter of the lease between renewals, not one a pause: the database is busy enough then
                    if (System.nanoTime() - renewedAt >= lease().toNanos() / 4) {
                        if (!QuarkusTransaction.requiringNew().call(() -> runs.renew(holder, h.generation(), lease()))) {
                            held = null;
                        }
                        renewedAt = System.nanoTime();
                    }
                    pause(PAUSE);
                    continue;
                }
                renewedAt = System.nanoTime(); // every chunk renews it
                Done done;
                try {
                    done = QuarkusTransaction.requiringNew().call(() -> chunk(h));
                } catch (RunLost e) {
                    done = new Done(Step.LOST, null);
                }
                Step step = done.step();
                CurrentStates.Chunk chunk = done.chunk();
                if (step == Step.FINISHED) {
                    LOG.infof("Republishing states finished: %d current states queued, the last: policy %s",
                            h.queued(), h.afterPolicy().isEmpty() ? "(none)" : h.afterPolicy());
                    return;
                }
                if (step == Step.LOST) {
                    held = null; // claimed again at once if still ours (started again from the first policy)
                } else {
                    queued.increment(chunk.policies());
                    held = new Run(h.status(), h.reason(), h.startedAfter(), chunk.last(),
                            h.queued() + chunk.policies(), h.generation(), h.holder(), h.startedAt(), null);
                    if (held.queued() / LOG_EVERY > h.queued() / LOG_EVERY) {
                        LOG.infof("Republished %d current states so far; the last: policy %s", held.queued(),
                                held.afterPolicy());
                    }
                }
                retryWait = Duration.ofSeconds(1);
                lastError = null;
                failureLog.succeeded();
            } catch (RuntimeException e) {
                String reason = Sanitize.forLog(String.valueOf(e.getMessage()));
                lastError = reason;
                // as every retrying loop: a line when it begins, one a minute while it lasts, one when it ends
                failureLog.failed("trying the chunk after policy "
                        + (held == null || held.afterPolicy().isEmpty() ? "(none yet)" : held.afterPolicy())
                        + " again, up to 30 s apart: " + reason);
                pause(retryWait);
                retryWait = retryWait.multipliedBy(2).compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT
                        : retryWait.multipliedBy(2);
            }
        }
        letGo();
    }

    /**
     * One transaction: the next chunk's states queued and the run's cursor moved past them, or neither
     * (a run no longer held so queues nothing); the run finished when no policy is left.
     */
    private Done chunk(Run held) {
        Optional<CurrentStates.Chunk> chunk = states.republishAfter(held.afterPolicy(), CHUNK);
        if (chunk.isEmpty()) {
            return new Done(runs.finish(holder, held.generation()) ? Step.FINISHED : Step.LOST, null);
        }
        if (!runs.advance(holder, held.generation(), chunk.get().last(), chunk.get().policies(), lease())) {
            throw new RunLost(); // rolls the chunk's states back
        }
        return new Done(Step.QUEUED, chunk.get());
    }

    /** The run is no longer held as the chunk's transaction thought: thrown to roll it back. */
    private static final class RunLost extends RuntimeException {
        RunLost() {
            super(null, null, false, false);
        }
    }

    private long outboxBacklog() {
        return QuarkusTransaction.requiringNew().call(() -> outbox.countUpTo(PAUSE_AT_BACKLOG));
    }

    /** So that another replica goes on at its next look rather than a lease later. */
    private void letGo() {
        try {
            QuarkusTransaction.requiringNew().run(() -> runs.release(holder));
            LOG.info("Republishing states stopped here; another replica goes on with it");
        } catch (RuntimeException e) {
            LOG.infof("Republishing states stopped here; another replica goes on with it once its lease runs out (%s)",
                    Sanitize.forLog(String.valueOf(e.getMessage())));
        }
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

    /** On the service's stop: no chunk after the one in flight, which is waited for up to {@code wait}. */
    public void stop(Duration wait) throws InterruptedException {
        synchronized (this) {
            stopping = true;
        }
        Thread t = worker;
        if (t != null) {
            t.join(wait.toMillis());
        }
    }
}
