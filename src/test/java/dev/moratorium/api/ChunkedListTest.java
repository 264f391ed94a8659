package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A list answer read a chunk at a time by its cursor and written as one JSON array; and the places
 * that bound how many such answers are written at once.
 */
class ChunkedListTest {

    private static final ObjectWriter WRITER = ChunkedList.writer(new ObjectMapper(), Row.class);
    private static final Duration STALL = Duration.ofMinutes(1);

    record Row(long id, String name) {
    }

    private final List<Row> table = LongStream.rangeClosed(1, 60).mapToObj(i -> new Row(i, "r" + i)).toList();
    private final List<String> reads = new ArrayList<>();

    private List<Row> read(long after, int limit) {
        reads.add(after + "+" + limit);
        return table.stream().filter(r -> r.id() > after).limit(limit).toList();
    }

    @Test
    void aPageIsReadAChunkAtATimeByItsCursorAndIsOneArray() throws Exception {
        String all = written(ChunkedList.of(new ChunkedList.Places(1, Duration.ofSeconds(1), "busy"), WRITER, 0, 500,
                this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE));

        assertThat(all).isEqualTo(new ObjectMapper().writeValueAsString(table));
        assertThat(reads).containsExactly("0+25", "25+25", "50+25");
    }

    @Test
    void aPageStopsAtItsLimitOrWhereTheRowsEnd() throws Exception {
        String fifty = written(ChunkedList.of(new ChunkedList.Places(1, Duration.ofSeconds(1), "busy"), WRITER, 5, 50,
                this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE));
        assertThat(new ObjectMapper().readTree(fifty)).hasSize(50);
        assertThat(reads).containsExactly("5+25", "30+25");

        reads.clear();
        assertThat(written(ChunkedList.of(new ChunkedList.Places(1, Duration.ofSeconds(1), "busy"), WRITER, 60, 100,
                this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE))).isEqualTo("[]");
        assertThat(reads).containsExactly("60+25");
    }

    /**
     * One place: while a client is slow to take its answer, the next list waits for the place, then
     * is a 503 busy before anything is read; once the first answer ends, the place is free again.
     */
    @Test
    void beyondItsPlacesAListWaitsThenIsToldToComeBack() throws Exception {
        ChunkedList.Places places = new ChunkedList.Places(1, Duration.ofMillis(300), "busy");
        CountDownLatch slowClient = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        OutputStream blocked = new OutputStream() {
            @Override
            public void write(int b) {
                writing.countDown();
                try {
                    slowClient.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Thread first = new Thread(() -> {
            try {
                ChunkedList.of(places, WRITER, 0, 500, this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE).write(blocked);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        first.start();
        assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
        int readsBefore = reads.size();

        assertThatThrownBy(() -> written(ChunkedList.of(places, WRITER, 0, 500, this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.code()).isEqualTo("busy");
                    assertThat(e.retryAfterSeconds()).isEqualTo(2);
                });
        assertThat(reads).hasSize(readsBefore);

        slowClient.countDown();
        first.join(10_000);
        assertThat(written(ChunkedList.of(places, WRITER, 0, 10, this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE))).startsWith("[{\"id\":1,");
    }

    /**
     * A client that takes nothing: the write waiting for it (Quarkus's output stream waits until it
     * is interrupted) is cut after the stall time, the answer fails, and its place is free again;
     * the writing thread, a pooled one in the service, is not left interrupted.
     */
    @Test
    void aClientThatTakesNothingLosesItsAnswerAndItsPlace() throws Exception {
        ChunkedList.Places places = new ChunkedList.Places(1, Duration.ofMillis(300), "busy");
        OutputStream frozen = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("interrupted");
                }
            }
        };
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            try {
                ChunkedList.of(places, WRITER, 0, 500, this::read, Row::id, r -> r, Duration.ofMillis(500), StallGuard.Client.NONE).write(frozen);
            } catch (Throwable e) {
                failed.set(e);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        long start = System.nanoTime();
        writer.start();
        writer.join(10_000);
        assertThat(writer.isAlive()).as("the write was cut").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(failed.get()).isInstanceOf(IOException.class).hasMessageStartingWith("the client took nothing for");
        assertThat(interruptedAfter.get()).as("the thread's interrupt taken back").isFalse();
        assertThat(written(ChunkedList.of(places, WRITER, 0, 10, this::read, Row::id, r -> r, STALL, StallGuard.Client.NONE)))
                .as("the place given back").startsWith("[{\"id\":1,");
    }

    /**
     * An answer waits, every StallGuard.WINDOW bytes and at its end, until what it wrote has left for
     * its client, and keeps its place until then: a request thread's writes are queued for the event
     * loop without a limit, so without the wait a megabyte was queued whole and its place given back
     * at once. A client that takes nothing within the stall loses its answer and its connection.
     */
    @Test
    void anAnswerKeepsItsPlaceUntilWhatItWroteHasLeftAndAClientThatTakesNothingIsClosed() throws Exception {
        ChunkedList.Places places = new ChunkedList.Places(1, Duration.ofMillis(300), "busy");
        List<Integer> drainedAt = new ArrayList<>();
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        StallGuard.Client counting = new StallGuard.Client() {
            @Override
            public java.util.concurrent.CompletionStage<?> drained() {
                drainedAt.add(sent.size());
                assertThat(places.free()).as("the place held while waiting").isZero();
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public void close() {
                throw new AssertionError("a client that takes its answer is not closed");
            }
        };
        byte[] kilobyte = "k".repeat(1024).getBytes(StandardCharsets.US_ASCII);
        ChunkedList.written(places, STALL, counting, output -> {
            for (int i = 0; i < 600; i++) {
                output.write(kilobyte);
            }
        }).write(sent);
        assertThat(sent.size()).isEqualTo(600 * 1024);
        assertThat(drainedAt).as("after each 256 KiB, and at the end").containsExactly(256 * 1024, 512 * 1024, 600 * 1024);
        assertThat(places.free()).isEqualTo(1);

        AtomicBoolean closed = new AtomicBoolean();
        StallGuard.Client frozen = new StallGuard.Client() {
            @Override
            public java.util.concurrent.CompletionStage<?> drained() {
                return new java.util.concurrent.CompletableFuture<>();
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        long start = System.nanoTime();
        assertThatThrownBy(() -> ChunkedList.written(places, Duration.ofMillis(500), frozen, output -> {
            for (int i = 0; i < 600; i++) {
                output.write(kilobyte);
            }
        }).write(new ByteArrayOutputStream())).isInstanceOf(IOException.class).hasMessageStartingWith("the client took nothing for");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(closed).as("its connection closed: what was queued for it let go").isTrue();
        assertThat(places.free()).as("the place given back").isEqualTo(1);
    }

    private static String written(StreamingOutput answer) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        answer.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
