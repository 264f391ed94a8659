package dev.moratorium.readmodel;

import dev.moratorium.wire.RepeatedFailureLog;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.outbox.ChangeSignal;
import dev.moratorium.store.NotificationReads;
import dev.moratorium.wire.WireJson;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The committed notifications, as one change feed for every live-stream client of this replica:
 * one thread reads what is new — woken right after a local commit, and every 250 ms for other
 * replicas' writes — and keeps the most recent ones in memory, rendered once. A client reads
 * memory; only one that resumes from further back than memory holds reads the database, a page
 * at a time. So the database sees one query per tick per replica, however many dashboards are open.
 */
@ApplicationScoped
public class NotificationFeed {

    private static final Logger LOG = Logger.getLogger(NotificationFeed.class);
    private static final Duration POLL = Duration.ofMillis(250);
    /**
     * Notifications kept in memory: what a live client may fall behind without a query (2.5 s at 200
     * a second, far more on a normal day); one further behind catches up from the database, a page
     * at a time. Not more: a kept item must die young. With 4,096 each lived 20 s at 200 a second,
     * long enough to be promoted, and the heap after each young collection grew by 0.22 MB/s until
     * a full collection stopped the service for 57-80 ms every few minutes; with 512, 0.07 MB/s
     * (JFR of bench/latency, one run each).
     */
    public static final int KEPT = 512;
    /**
     * And no more than this many characters of them: a notification carries its policy's
     * exemptions in force, up to 768 KiB, and 512 such were 260 MB in a heap of 160 MB.
     */
    static final long KEPT_CHARS = 4_000_000;
    private static final int PAGE = 500;
    /** Bytes of payload one read takes at most (at least one notification, however large). */
    static final long PAGE_BYTES = 4_000_000;
    /**
     * Clients' reads from the database at once, per replica. Each holds a connection and its page in
     * the heap; without a cap, 16 clients paging from the start over notifications of 768 KiB took
     * every connection of the pool for 12-36 s (the relay, the index, the writers and the scheduler
     * all waited for one), and their pages 140 of the heap's 154 MB.
     */
    static final int READ_PLACES = 4;
    /**
     * Bytes of payload a client's page holds at most (at least one notification), from memory or
     * from the database: a quarter of the feed's own read, as four clients may read the database at
     * once besides it. From memory too: 16 clients reading pages of the dozen newest notifications
     * of 768 KiB (9.4 MB each) ended the packaged service on OutOfMemoryError, and written a
     * notification at a time, 64 such pages exhausted the direct memory Netty writes answers from.
     */
    static final long CLIENT_PAGE_BYTES = PAGE_BYTES / 4;
    private final Semaphore readPlaces = new Semaphore(READ_PLACES, true);
    /** Live streams catching up from the database at once, per replica (see Follower). */
    static final int CATCHING_UP = 16;
    /**
     * How long a stream waiting for its turn keeps its place without asking (it asks every tick, 250
     * ms, unless it is busy writing to a slow client).
     */
    static final Duration TURN_PATIENCE = Duration.ofSeconds(2);
    private final TurnLine turns = new TurnLine(CATCHING_UP, TURN_PATIENCE, System::nanoTime);
    /**
     * At most one read per this interval when commits come faster (200 a second, each a query, cost
     * 5 % of a core at 200 events/s); a live client sees a notification at most this much later.
     */
    static final Duration MIN_GAP = Duration.ofMillis(20);
    /** How long the stop waits for a read in progress (one page). */
    private static final Duration STOP_WAIT = Duration.ofSeconds(2);

    @Inject
    ChangeSignal signal;

    @Inject
    NotificationReads reads;

    private final ArrayDeque<Item> recent = new ArrayDeque<>();
    /** The characters of the kept items' JSON. */
    private long keptChars;
    /** The highest sequence read (or present at start); {@code -1} until started. */
    private long latest = -1;
    /** The highest sequence the database was seen to have given (see {@link #numbered}); only grows. */
    private final AtomicLong numbered = new AtomicLong();
    private volatile boolean running;
    private final RepeatedFailureLog failureLog = RepeatedFailureLog.to(LOG, "Notification feed not refreshed");
    private ReaderThread thread;

    /**
     * One notification as a client receives it: its data with {@code sequence} added, rendered once;
     * {@code bytes} is its data's stored size, what a client's page counts.
     */
    public record Item(long sequence, String type, String json, long bytes) {
    }

    void start(@Observes StartupEvent event) {
        long max = QuarkusTransaction.requiringNew().call(reads::latestSeq);
        synchronized (recent) {
            latest = max;
        }
        running = true;
        thread = ReaderThread.start("notification-feed", this::loop);
    }

    /** Ends the reading loop before Quarkus closes the database it reads (see ReaderThread). */
    void stop(@Observes ShutdownEvent event) {
        running = false;
        signal.changed();
        if (thread != null && !thread.awaitEnd(STOP_WAIT)) {
            LOG.warnf("Notification feed read still running %d s into the stop", STOP_WAIT.toSeconds() * 2);
        }
    }

    /** The sequence of the newest notification this replica knows of: where a new live client starts. */
    public long latest() {
        synchronized (recent) {
            return latest;
        }
    }

    /**
     * Whether {@code cursor} may be a sequence this store gave: at most the newest notification this
     * replica knows of, or, past it, at most the highest sequence the database has given (another
     * replica may have committed what this one has yet to read). A cursor past both came from another
     * database, or from this one before it was restored or made anew (a dashboard left open over
     * {@code rm -rf target/embedded}): waiting for the sequence to reach it, its client would be sent
     * nothing until as many notifications again had passed, and skip every one of them. Reads the
     * database only for a cursor past what this replica holds.
     */
    public boolean numbered(long cursor) {
        if (cursor <= latest() || cursor <= numbered.get()) {
            return true;
        }
        long last = QuarkusTransaction.requiringNew().call(reads::lastNumbered);
        return cursor <= numbered.accumulateAndGet(last, Math::max);
    }

    /**
     * Up to {@code limit} notifications after {@code cursor}, oldest first: from memory when it holds
     * them; otherwise (a client resuming from further back than memory holds) from the database,
     * once one of {@link #READ_PLACES} is free within {@code wait}. Empty when none was: the caller
     * tells its client to come back, or tries again at its next tick.
     */
    public Optional<List<Item>> after(long cursor, int limit, Duration wait) {
        synchronized (recent) {
            if (holds(cursor)) {
                List<Item> items = new ArrayList<>(Math.min(limit, recent.size()));
                long bytes = 0;
                for (Iterator<Item> it = recent.iterator(); it.hasNext() && items.size() < limit
                        && bytes < CLIENT_PAGE_BYTES;) {
                    Item item = it.next();
                    if (item.sequence() > cursor) {
                        items.add(item);
                        bytes += item.bytes();
                    }
                }
                return Optional.of(items);
            }
        }
        if (!takeReadPlace(wait)) {
            return Optional.empty();
        }
        try {
            return Optional.of(read(cursor, limit, CLIENT_PAGE_BYTES));
        } finally {
            readPlaces.release();
        }
    }

    /** Whether what follows {@code cursor} is in memory. */
    private boolean holds(long cursor) {
        synchronized (recent) {
            return cursor >= latest || !recent.isEmpty() && cursor >= recent.peekFirst().sequence() - 1;
        }
    }

    /** A reader for one live stream; close it when the stream ends. */
    public Follower follow() {
        return new Follower();
    }

    /**
     * One live stream's reads. A stream further behind than memory catches up from the database a
     * page at a time, and its page (up to a megabyte) stays in the heap until its client has taken
     * it, so at most {@link #CATCHING_UP} streams catch up at once; the others wait in line,
     * receiving only what the stream sends while quiet, and the turns pass round a page at a time
     * (see TurnLine). Every dashboard reconnects after a restart with its Last-Event-ID, when memory
     * is empty: 120 such streams read by slow clients ended the packaged service on OutOfMemoryError.
     */
    public final class Follower implements AutoCloseable {

        private volatile boolean closed;

        private Follower() {
        }

        /**
         * Up to {@code limit} notifications after {@code cursor}; none while it waits for its turn to
         * catch up. Called by one stream's ticks, one at a time; its close may come from any thread,
         * and neither waits for the other longer than the line's few map operations (a close comes on
         * the event loop).
         */
        public List<Item> next(long cursor, int limit) {
            if (holds(cursor)) {
                turns.leave(this);
            } else if (turns.passOnIfWaitedFor(this) || !turns.take(this)) {
                // its last page taken by its client, it makes way for a stream waiting; or it waits
                return List.of();
            } else if (closed) { // closed meanwhile: its turn goes back
                turns.leave(this);
                return List.of();
            }
            return after(cursor, limit, Duration.ZERO).orElse(List.of());
        }

        @Override
        public void close() {
            closed = true;
            turns.leave(this);
        }
    }

    /** The places themselves, so a test can take them all as busy clients would. */
    Semaphore readPlaces() {
        return readPlaces;
    }

    /** The turns to catch up, so a test can take them as slow streams would. */
    TurnLine turns() {
        return turns;
    }

    private boolean takeReadPlace(Duration wait) {
        try {
            return readPlaces.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void loop() {
        long lastRound = System.nanoTime() - MIN_GAP.toNanos();
        while (running) {
            try {
                ChangeSignal.pace(lastRound, MIN_GAP);
                lastRound = System.nanoTime();
                long seen = signal.version();
                while (readNew() && running) {
                    // a full page: there may be more right now
                }
                failureLog.succeeded();
                signal.awaitChangeAfter(seen, POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable e) { // the feed must outlive any failure, or every stream freezes
                if (!running) {
                    LOG.debugf("Notification feed read ended by the stop: %s", Sanitize.forLog(String.valueOf(e)));
                    return;
                }
                failureLog.failed("trying again in " + POLL.toMillis() + " ms: " + Sanitize.forLog(String.valueOf(e)));
                sleep();
            }
        }
    }

    /** @return whether the read was a full page, of rows or of bytes: more may be there now */
    private boolean readNew() {
        List<Item> items = read(latest(), PAGE, PAGE_BYTES);
        long chars = 0;
        synchronized (recent) {
            for (Item item : items) {
                chars += item.json().length();
                if (item.sequence() > latest) {
                    recent.addLast(item);
                    keptChars += item.json().length();
                    latest = item.sequence();
                }
            }
            while (recent.size() > KEPT || recent.size() > 1 && keptChars > KEPT_CHARS) {
                keptChars -= recent.removeFirst().json().length();
            }
        }
        // A page the bytes ended holds at least PAGE_BYTES (the first row left out starts past them),
        // and a character is at most 3 bytes of UTF-8: fewer characters than a third cannot be one.
        return items.size() == PAGE || chars >= PAGE_BYTES / 3;
    }

    private List<Item> read(long cursor, int limit, long maxBytes) {
        List<NotificationReads.Row> rows = QuarkusTransaction.requiringNew().call(
                () -> reads.after(cursor, limit, maxBytes));
        List<Item> items = new ArrayList<>(rows.size());
        for (NotificationReads.Row row : rows) {
            // the stored data is the object WireJson wrote; a client gets it with its cursor added
            items.add(new Item(row.seq(), row.type(), WireJson.withLastField(row.payload(), "sequence", row.seq()),
                    row.bytes()));
        }
        return items;
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
