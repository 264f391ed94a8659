package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.testing.Sql;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * At most {@link HistoryReads#STREAMS} histories are streamed at once per replica: a round trip of
 * the cursor holds up to 500 rows whole, and an event may be 64 KiB. A third reader waits until a
 * stream ends, then reads every row as the first two did.
 */
@QuarkusTest
class HistoryStreamsTest {

    private static final String POLICY = "streams-1";
    private static final int ROWS = 20;

    @Inject
    HistoryReads reads;

    @Inject
    DataSource dataSource;

    @Test
    void aThirdHistoryReadWaitsForOneOfTheTwoStreams() throws Exception {
        Sql.execute(dataSource, "INSERT INTO policy_event (event_id, policy_id, type, source, event_time, data, received_at)"
                + " SELECT 'streams-' || i, '" + POLICY + "', 'moratorium.extended', 'test', now(),"
                + " json_build_object('n', i), now() FROM generate_series(1, " + ROWS + ") AS i");
        CountDownLatch holding = new CountDownLatch(HistoryReads.STREAMS);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        ExecutorService readers = Executors.newFixedThreadPool(HistoryReads.STREAMS + 1);
        try {
            List<Future<Integer>> read = new ArrayList<>();
            for (int r = 0; r <= HistoryReads.STREAMS; r++) {
                read.add(readers.submit(() -> QuarkusTransaction.requiringNew().call(() -> {
                    int[] rows = {0};
                    boolean[] first = {true};
                    reads.forEachAfter(POLICY, Long.MIN_VALUE, row -> {
                        if (first[0]) {
                            first[0] = false;
                            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            holding.countDown();
                            await(release);
                        }
                        if (++rows[0] == ROWS) {
                            // out at its last row, before its stream ends and lets the next one in: counted
                            // after the call returns, a third reader that took the freed stream at once was
                            // seen as a third at the same time (a CI run: most inside 3)
                            inside.decrementAndGet();
                        }
                    });
                    return rows[0];
                })));
            }
            assertThat(holding.await(20, TimeUnit.SECONDS)).as("two streams under way").isTrue();
            Thread.sleep(500); // time for a third to start, were it let in
            assertThat(inside.get()).as("the third waits").isEqualTo(HistoryReads.STREAMS);
            release.countDown();
            for (Future<Integer> f : read) {
                assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(ROWS);
            }
            assertThat(mostInside.get()).isEqualTo(HistoryReads.STREAMS);
        } finally {
            release.countDown();
            readers.shutdownNow();
            Sql.execute(dataSource, "DELETE FROM policy_event WHERE policy_id = '" + POLICY + "'");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
