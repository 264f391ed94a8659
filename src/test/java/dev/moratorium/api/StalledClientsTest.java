package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.moratorium.store.HeaderPreviews;
import dev.moratorium.testing.Sql;
import dev.moratorium.wire.HeaderCodec;
import dev.moratorium.wire.RawHeader;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A client that asks for a long list and then reads nothing (a frozen process, or a script that
 * means harm) holds one of the replica's places for long lists only until it has taken nothing for
 * {@code moratorium.api.client-stall} (5 s in tests): then its answer is cut and the place is free.
 * Before, eight such clients held every place until the HTTP idle timeout (30 minutes), and every
 * long list answered 503 busy.
 */
@QuarkusTest
class StalledClientsTest {

    private static final long FIRST_ID = 7_000_000;
    private static final int ROWS = 200;

    @Inject
    DataSource dataSource;

    @TestHTTPResource("/rejections")
    URI rejections;

    @Test
    void aClientThatReadsNothingLosesItsAnswerAndItsPlaceAfterTheStall() throws Exception {
        insertRejectionsOfLargeHeaders(); // about 10 MB as a list: more than the connection's buffers hold
        await().atMost(Duration.ofSeconds(10)).until(() -> ChunkedList.PLACES.free() == 8);
        try (Socket frozen = new Socket()) {
            frozen.setReceiveBufferSize(4096);
            frozen.connect(new InetSocketAddress(rejections.getHost(), rejections.getPort()));
            long asked = System.nanoTime();
            frozen.getOutputStream().write(("GET " + rejections.getPath() + "?order=newest&limit=500 HTTP/1.1\r\nHost: "
                    + rejections.getAuthority() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(10)).until(() -> ChunkedList.PLACES.free() == 7);
            await().atMost(Duration.ofSeconds(30)).until(() -> ChunkedList.PLACES.free() == 8);
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("held until the client had taken nothing for 5 s")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
            // its connection closed too, letting go what was queued for it: the client, thawed,
            // reads what had left and then the end
            frozen.setSoTimeout(15_000);
            InputStream in = frozen.getInputStream();
            byte[] buffer = new byte[65_536];
            long received = 0;
            for (int n; (n = in.read(buffer)) != -1;) {
                received += n;
            }
            assertThat(received).as("the answer was cut, not completed").isLessThan(ROWS * 200L * 256);
        } finally {
            Sql.execute(dataSource, "DELETE FROM rejection WHERE id >= " + FIRST_ID);
        }
    }

    private void insertRejectionsOfLargeHeaders() throws Exception {
        List<RawHeader> headers = new ArrayList<>();
        byte[] value = new byte[256];
        Arrays.fill(value, (byte) 'w');
        for (int i = 0; i < 200; i++) {
            headers.add(new RawHeader("x-" + i, value));
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("INSERT INTO rejection (id,"
                + " topic, kafka_partition, kafka_offset, record_key, record_value, headers, header_preview, header_count,"
                + " reason_code, reason_message, received_at, status) VALUES (?, 'policy-changes', 99, ?, 'k'::bytea,"
                + " '{}'::bytea, ?::json, ?::json, ?, 'unknown-policy', 'no policy has been announced', now(), 'OPEN')")) {
            for (int i = 0; i < ROWS; i++) {
                s.setLong(1, FIRST_ID + i);
                s.setLong(2, i);
                s.setString(3, HeaderCodec.encode(headers));
                s.setString(4, HeaderPreviews.stored(HeaderPreviews.of(headers)));
                s.setInt(5, headers.size());
                s.addBatch();
            }
            s.executeBatch();
        }
    }
}
