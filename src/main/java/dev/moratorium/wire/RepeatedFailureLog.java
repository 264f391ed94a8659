package dev.moratorium.wire;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * How a loop that retries (a reader, the relay, the webhook workers) reports a failure that
 * repeats. Each of them used to log every attempt at WARN, and Hibernate two more lines per
 * failed statement: a database outage filled the log with about 9 lines a second (1,390 in
 * OutagesIT's 150 s without a database) for one fact. Now a failing spell is one WARN at its first failure, one WARN a
 * minute while it lasts (how many attempts failed, and the last reason), and one INFO when an
 * attempt succeeds again; the attempts in between are logged at DEBUG. Metrics and readiness,
 * not the log, are what count every failure.
 *
 * <p>One instance per loop (shared by a loop's threads); thread-safe.
 */
public final class RepeatedFailureLog {

    /** Where the lines go: the loop's own logger, or a test's list. */
    public interface Sink {
        void warn(String line);

        void info(String line);

        void debug(String line);
    }

    private static final Duration REPORT_EVERY = Duration.ofMinutes(1);

    private final Sink sink;
    private final String what;
    private final Duration every;
    private final LongSupplier nanoTime;

    private volatile boolean failing;
    private long spellStartedNanos;
    private long lastReportNanos;
    private long spellFailures;
    private long sinceReport;

    public RepeatedFailureLog(Sink sink, String what, Duration every, LongSupplier nanoTime) {
        this.sink = sink;
        this.what = what;
        this.every = every;
        this.nanoTime = nanoTime;
    }

    /** Reports to {@code log} what fails, e.g. "Access index not refreshed". */
    public static RepeatedFailureLog to(Logger log, String what) {
        return new RepeatedFailureLog(new Sink() {
            @Override
            public void warn(String line) {
                log.warn(line);
            }

            @Override
            public void info(String line) {
                log.info(line);
            }

            @Override
            public void debug(String line) {
                log.debug(line);
            }
        }, what, REPORT_EVERY, System::nanoTime);
    }

    /** An attempt failed; {@code detail} says why and what happens next (already safe for a log). */
    public synchronized void failed(String detail) {
        long now = nanoTime.getAsLong();
        if (!failing) {
            failing = true;
            spellStartedNanos = now;
            lastReportNanos = now;
            spellFailures = 1;
            sinceReport = 0;
            sink.warn(what + ": " + detail);
            return;
        }
        spellFailures++;
        sinceReport++;
        if (now - lastReportNanos >= every.toNanos()) {
            sink.warn(what + ", still: " + sinceReport + " more " + failedAttempts(sinceReport) + " in "
                    + seconds(now - lastReportNanos)
                    + " s (" + spellFailures + " since the first, " + seconds(now - spellStartedNanos) + " s ago); last: "
                    + detail);
            lastReportNanos = now;
            sinceReport = 0;
        } else {
            sink.debug(what + ": " + detail);
        }
    }

    /** An attempt succeeded: ends a failing spell, if one was under way. */
    public void succeeded() {
        if (!failing) { // read without the lock: only a thread that saw a failure has anything to report
            return;
        }
        synchronized (this) {
            if (!failing) {
                return;
            }
            failing = false;
            sink.info(what + ": recovered after " + spellFailures + " " + failedAttempts(spellFailures) + " over "
                    + seconds(nanoTime.getAsLong() - spellStartedNanos) + " s");
        }
    }

    private static String failedAttempts(long n) {
        return n == 1 ? "failed attempt" : "failed attempts";
    }

    private static long seconds(long nanos) {
        return Math.round(nanos / 1e9);
    }
}
