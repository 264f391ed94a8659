package dev.moratorium.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A list answer written as it is read: a JSON array whose rows are read {@link #CHUNK} at a time,
 * each chunk by the list's own keyset cursor in a statement of its own, and written before the
 * next is read. The answer is the same array, row for row, as the list built whole; only its
 * memory differs. A page of 500 rejections of records that were nearly all headers is 25 MB of
 * JSON: built whole (the driver's rows, the views, then the JSON) four such answers at once
 * filled the pod's 160 MB heap, and {@code -XX:+ExitOnOutOfMemoryError} ended the service, so a
 * producer's 27 MB of records and an operator's script could restart it again and again. Written
 * chunk by chunk, an answer holds one chunk's rows (about 5 MB for 25 such rows, as the driver's
 * text, the previews and the view), Quarkus's output stream makes the writing thread wait while
 * the client is behind, and no connection is held between chunks, so a slow reader holds a worker
 * thread, not the database. Quarkus runs up to 200 such threads, so the answers written at once
 * are limited too ({@link Places}): 24 clients reading at 2 MB/s each took the heap to its limit.
 */
final class ChunkedList {

    /** Rows read and written at a time. */
    static final int CHUNK = 25;

    /**
     * Answers written at once, per replica (these lists' and GET /notifications', which writes the
     * feed's items one at a time); a list beyond them waits, then is told to come back.
     */
    static final Places PLACES = new Places(8, Duration.ofSeconds(5),
            "as many long lists as this replica writes at once are being written; try again shortly");

    /**
     * The bytes of stored text an answer may have and still be built whole, without a place: Quarkus
     * runs up to 200 request threads, and 200 answers of a policy list of 6.8 MB, or of a history
     * page of 1 MB, built at once ended the service on OutOfMemoryError. An answer this small is
     * handed to the connection whole and holds no thread while a slow client takes it.
     */
    static final long LIGHT_BYTES = 64 * 1024;

    /** Whether an answer of {@code bytes} of stored text is long: written in a place, a chunk at a time. */
    static boolean isLong(long bytes) {
        return bytes > LIGHT_BYTES;
    }

    /**
     * The answers being written. A place is taken by the answer's writing and given back when it
     * ends however it ends; one not given within the wait is a 503 {@code busy} with Retry-After,
     * before a byte of the answer is written.
     */
    static final class Places {

        private final Semaphore free;
        private final Duration wait;
        private final String busy;

        /** @param busy what the 503 says when no place was given within the wait */
        Places(int places, Duration wait, String busy) {
            this.free = new Semaphore(places, true);
            this.wait = wait;
            this.busy = busy;
        }

        void take() {
            try {
                if (free.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw ApiException.unavailable("busy", busy, 2);
        }

        void giveBack() {
            free.release();
        }

        /** The places free now (for tests). */
        int free() {
            return free.availablePermits();
        }
    }

    /** Reads up to {@code limit} rows past {@code cursor}, in the list's order. */
    interface Reader<R> {
        List<R> read(long cursor, int limit);
    }

    private ChunkedList() {
    }

    /** For each list's resource: its view type written as the application's JSON writes it. */
    static ObjectWriter writer(ObjectMapper json, Class<?> view) {
        // one flush for the whole answer (Jackson's buffer fills and passes on what it holds), not one per row
        return json.writerFor(view).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
    }

    /**
     * Up to {@code limit} rows past {@code cursor}, as {@code view} shows them; {@code next} is the
     * cursor a row leaves for the rows after it (its id).
     */
    static <R> StreamingOutput of(ObjectWriter writer, long cursor, int limit, Reader<R> reader, ToLongFunction<R> next,
            Function<R, ?> view, Duration stall, StallGuard.Client client) {
        return of(PLACES, writer, cursor, limit, reader, next, view, stall, client);
    }

    /** A client that takes nothing for {@code stall} while it is written to loses its answer (StallGuard). */
    static <R> StreamingOutput of(Places places, ObjectWriter writer, long cursor, int limit, Reader<R> reader,
            ToLongFunction<R> next, Function<R, ?> view, Duration stall, StallGuard.Client client) {
        return written(places, stall, client, output -> write(output, writer, cursor, limit, reader, next, view));
    }

    /** Writes an answer to its client. */
    interface Body {
        void write(OutputStream output) throws IOException;
    }

    /**
     * An answer written while holding one of {@code places}, to a client that loses it when it takes
     * nothing for {@code stall} (StallGuard). Whatever the body reads, it reads once its place is
     * taken; the place is given back once what was written has left for the client, so the
     * answers in the JVM's memory at once are no more than the places.
     */
    static StreamingOutput written(Places places, Duration stall, StallGuard.Client client, Body body) {
        return output -> {
            places.take();
            StallGuard guarded = new StallGuard(output, stall, client);
            try {
                body.write(guarded);
                guarded.settle();
            } finally {
                guarded.stopWatching();
                places.giveBack();
            }
        };
    }

    private static <R> void write(OutputStream output, ObjectWriter writer, long cursor, int limit, Reader<R> reader,
            ToLongFunction<R> next, Function<R, ?> view) throws IOException {
        JsonGenerator json = writer.createGenerator(output);
        json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        json.writeStartArray();
        long after = cursor;
        int left = limit;
        while (left > 0) {
            int wanted = Math.min(CHUNK, left);
            List<R> rows = reader.read(after, wanted);
            for (R row : rows) {
                writer.writeValue(json, view.apply(row));
            }
            if (rows.size() < wanted) {
                break;
            }
            left -= wanted;
            after = next.applyAsLong(rows.get(rows.size() - 1));
        }
        json.writeEndArray();
        json.close();
    }
}
