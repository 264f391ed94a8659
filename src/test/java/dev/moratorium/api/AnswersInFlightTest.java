package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The places of answers being made or sent, on a real Vert.x server: a place is kept after the
 * response has ended until its bytes have left for the client, so a client that reads nothing keeps
 * it (here: an answer of 2 MB, a 4 KiB send buffer) until the stall time cuts its connection. Over
 * HTTP/2 (a client of a few frames, as a hostile one would send them, that reads nothing) the same,
 * and an answer whose writer waits for a window the client never opens is cut too; one connection
 * holds no more than its share.
 */
class AnswersInFlightTest {

    private static final byte[] LARGE = new byte[2 * 1024 * 1024];

    private final AnswersInFlight answers = new AnswersInFlight();
    private Vertx vertx;
    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        answers.install(router, 1, 1, Duration.ofSeconds(2));
        router.get("/moratoria/large").handler(c -> c.response().end(Buffer.buffer(LARGE)));
        router.get("/moratoria/drip").handler(c -> drip(c.response(), 32));
        router.get("/moratoria/small").handler(c -> c.response().end("{}"));
        router.get("/access").handler(c -> c.response().end("{\"allowed\":true}"));
        server = vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(4096)).requestHandler(router)
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anAnswerKeepsItsPlaceUntilItsBytesHaveLeftAndAStalledClientLosesIt() throws Exception {
        try (Socket frozen = new Socket()) {
            frozen.setReceiveBufferSize(4096);
            frozen.connect(new java.net.InetSocketAddress("127.0.0.1", server.actualPort()));
            frozen.getOutputStream().write(request("/moratoria/large"));
            Thread.sleep(500); // ended, and most of its 2 MB queued for a client that reads nothing

            assertThat(answers.free()).isZero();
            assertThat(get("/moratoria/small")).startsWith("HTTP/1.1 503").contains("Retry-After: 2")
                    .contains("\"error\":\"busy\"");
            assertThat(get("/access")).as("not counted").startsWith("HTTP/1.1 200");

            // cut after the stall time (2 s): its connection closed, its place given back
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (answers.free() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(answers.free()).isOne();
            assertThat(drain(frozen.getInputStream())).as("the frozen client's connection is closed").isLessThan(LARGE.length);
        }
        assertThat(get("/moratoria/small")).startsWith("HTTP/1.1 200");
        assertThat(answers.free()).isOne();
    }

    @Test
    void anHttp2AnswerKeepsItsPlaceUntilItsStreamHasClosed() throws Exception {
        try (Socket frozen = Http2Frames.connect(server.actualPort(), 65_535)) {
            frozen.getOutputStream().write(Http2Frames.get(1, "/moratoria/large"));
            Thread.sleep(500); // ended at once: its 2 MB wait for a window the client never widens

            assertThat(answers.free()).as("kept after the response's end").isZero();
            assertThat(get("/moratoria/small")).startsWith("HTTP/1.1 503");

            awaitFree(1);
            assertThat(drain(frozen.getInputStream())).as("cut after the stall time").isLessThan(LARGE.length);
        }
        assertThat(answers.heldByConnections()).isZero();
    }

    @Test
    void aWriterWaitingForAClientThatTakesNothingIsCut() throws Exception {
        try (Socket frozen = Http2Frames.connect(server.actualPort(), 0)) {
            frozen.getOutputStream().write(Http2Frames.get(1, "/moratoria/drip"));
            Thread.sleep(500);
            assertThat(answers.free()).as("the answer not ended, its writer waiting").isZero();

            awaitFree(1); // after one to one and a half stall times (2 s)
            assertThat(drain(frozen.getInputStream())).as("its connection closed").isLessThan(32 * 65_536);
        }
        assertThat(get("/moratoria/small")).startsWith("HTTP/1.1 200");
    }

    @Test
    void oneConnectionHoldsNoMoreThanItsShare() throws Exception {
        Router router = Router.router(vertx);
        answers.install(router, 4, 2, Duration.ofSeconds(30));
        router.get("/moratoria/drip").handler(c -> drip(c.response(), 32));
        router.get("/moratoria/small").handler(c -> c.response().end("{}"));
        HttpServer shared = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (Socket frozen = Http2Frames.connect(shared.actualPort(), 0)) {
            for (int stream = 1; stream <= 7; stream += 2) {
                frozen.getOutputStream().write(Http2Frames.get(stream, "/moratoria/drip"));
            }
            Thread.sleep(500);

            assertThat(answers.free()).as("two of its four streams kept, two told busy").isEqualTo(2);
            assertThat(answers.heldByConnections()).isEqualTo(2);
            try (Socket socket = new Socket("127.0.0.1", shared.actualPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET /moratoria/small HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                        .as("another client still answered").startsWith("HTTP/1.1 200");
            }
        }
        awaitFree(4); // the client closed its connection: its writers fail, their places come back
        assertThat(answers.heldByConnections()).isZero();
    }

    @Test
    void answersTakenByTheirClientsGiveTheirPlacesBack() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(get("/moratoria/large")).startsWith("HTTP/1.1 200");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (answers.free() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(answers.free()).isOne();
    }

    @Test
    void onlyTheReadsOfListsAndPoliciesAreCounted() {
        assertThat(AnswersInFlight.counts("GET", "/moratoria")).isTrue();
        assertThat(AnswersInFlight.counts("HEAD", "/moratoria/x/history")).isTrue();
        assertThat(AnswersInFlight.counts("GET", "/notifications")).isTrue();
        assertThat(AnswersInFlight.counts("GET", "/rejections")).isTrue();
        assertThat(AnswersInFlight.counts("GET", "/outbox/parked")).isTrue();
        assertThat(AnswersInFlight.counts("GET", "/subscriptions/s1/deliveries")).isTrue();
        assertThat(AnswersInFlight.counts("GET", "/notifications/stream")).isFalse();
        assertThat(AnswersInFlight.counts("GET", "/access")).isFalse();
        assertThat(AnswersInFlight.counts("GET", "/q/metrics")).isFalse();
        assertThat(AnswersInFlight.counts("GET", "/")).isFalse();
        assertThat(AnswersInFlight.counts("POST", "/rejections/retry")).isFalse();
    }

    /** Writes 64 kB chunks while the connection takes them, the rest when it drains: a writer that waits for its client. */
    private static void drip(io.vertx.core.http.HttpServerResponse response, int chunks) {
        response.setChunked(true);
        int left = chunks;
        while (left > 0 && !response.writeQueueFull()) {
            response.write(Buffer.buffer(new byte[65_536]));
            left--;
        }
        if (left == 0) {
            response.end();
            return;
        }
        int rest = left;
        response.drainHandler(drained -> drip(response, rest));
    }

    private void awaitFree(int places) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (answers.free() < places && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(answers.free()).isEqualTo(places);
    }

    private static byte[] request(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The whole answer of a fresh connection that reads it all. */
    private String get(String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static long drain(InputStream in) throws IOException {
        long total = 0;
        byte[] buffer = new byte[65536];
        try {
            for (int n; (n = in.read(buffer)) >= 0;) {
                total += n;
            }
        } catch (IOException reset) {
            // a reset connection ends the same way
        }
        return total;
    }
}
