package dev.moratorium.readmodel;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs one step (refresh, then wait for the next change) over and over while {@code running}.
 * Nothing but an interrupt may end it while the service runs, or the index would silently freeze:
 * every failure, Errors included, is reported and followed by a pause that doubles up to a
 * maximum, and the first success goes back to no pause.
 */
final class RefreshLoop implements Runnable {

    /** One refresh and the wait after it. */
    interface Step {
        void run() throws InterruptedException;
    }

    /** How the loop pauses after a failure (a test's sleeper only records it). */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final Step step;
    private final Consumer<Throwable> onFailure;
    private final BooleanSupplier running;
    private final Duration firstPause;
    private final Duration maxPause;
    private final Sleeper sleeper;

    RefreshLoop(Step step, Consumer<Throwable> onFailure, BooleanSupplier running, Duration firstPause,
            Duration maxPause, Sleeper sleeper) {
        this.step = step;
        this.onFailure = onFailure;
        this.running = running;
        this.firstPause = firstPause;
        this.maxPause = maxPause;
        this.sleeper = sleeper;
    }

    @Override
    public void run() {
        Duration pause = firstPause;
        while (running.getAsBoolean()) {
            try {
                step.run();
                pause = firstPause;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable t) {
                report(t);
                if (!pause(pause)) {
                    return;
                }
                Duration doubled = pause.multipliedBy(2);
                pause = doubled.compareTo(maxPause) > 0 ? maxPause : doubled;
            }
        }
    }

    private void report(Throwable t) {
        try {
            onFailure.accept(t);
        } catch (Throwable reportFailed) {
            // even reporting can fail (say, out of memory); the loop must go on regardless
        }
    }

    /** Pauses; false when interrupted (shutdown). */
    private boolean pause(Duration d) {
        try {
            sleeper.sleep(d);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Throwable sleepFailed) {
            return true;
        }
    }
}
