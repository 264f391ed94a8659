package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The host's resolution counts in the attempt's budget: a lookup cannot be interrupted and nothing
 * extends the lease while it lasts, so an attempt whose lookup used the connect timeout sends
 * nothing, and one whose lookup was slow has that much less time for the answer. A receiver on
 * loopback, a resolver that answers late.
 */
class WebhookSenderTest {

    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch never = new CountDownLatch(1);
    private HttpServer receiver;

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        receiver.createContext("/ok", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.createContext("/endless", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, 0); // the headers at once, then a body that never ends
            try {
                never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        never.countDown();
        receiver.stop(0);
    }

    @Test
    void aLookupThatUsedTheConnectTimeoutSendsNothing() throws Exception {
        WebhookSender sender = sender(Duration.ofMillis(300), Duration.ofSeconds(2), slowResolver(Duration.ofMillis(600)));

        Attempt attempt = sender.send(claim("/ok"), "msg_1", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(attempt.delivered()).isFalse();
        assertThat(attempt.status()).isEmpty();
        assertThat(attempt.error()).startsWith("dns: resolving the host took ")
                .endsWith(" ms, not within the connect timeout of 300 ms; nothing was sent");
        assertThat(attempt.durationMs()).isGreaterThanOrEqualTo(600);
        assertThat(requests).hasValue(0);
    }

    @Test
    void aSlowLookupLeavesTheAnswerOnlyWhatRemainsOfTheBudget() throws Exception {
        // connect 2.5 s + request 2 s: the whole attempt may take 4.5 s. The lookup takes 2 s; the
        // receiver sends its headers, then never ends the body, so only the attempt's deadline ends
        // the wait. Counted apart, the answer would be waited for 4.5 s more (6.5 s in all).
        WebhookSender sender = sender(Duration.ofMillis(2_500), Duration.ofSeconds(2), slowResolver(Duration.ofSeconds(2)));

        long started = System.nanoTime();
        Attempt attempt = sender.send(claim("/endless"), "msg_2", "{}".getBytes(StandardCharsets.UTF_8));
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(requests).hasValue(1);
        assertThat(attempt.error()).isEqualTo("timeout: the answer did not end within 4500 ms");
        assertThat(tookMs).isGreaterThanOrEqualTo(4_400).isLessThan(6_000);
        assertThat(attempt.durationMs()).isGreaterThanOrEqualTo(4_400).isLessThan(6_000);
    }

    @Test
    void aQuickLookupDeliversAsBefore() throws Exception {
        WebhookSender sender = sender(Duration.ofSeconds(2), Duration.ofSeconds(2), slowResolver(Duration.ZERO));

        Attempt attempt = sender.send(claim("/ok"), "msg_3", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(attempt.error()).isNull();
        assertThat(attempt.status()).contains(204);
        assertThat(requests).hasValue(1);
    }

    private static WebhookSender sender(Duration connect, Duration request, TargetGuard.Resolver resolver) {
        AttemptBudget budget = new AttemptBudget(connect, request, connect.plus(request).plusSeconds(1));
        return new WebhookSender(budget, new TargetGuard(true, resolver), Clock.systemUTC());
    }

    private static TargetGuard.Resolver slowResolver(Duration delay) {
        return host -> {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new InetAddress[] {InetAddress.getLoopbackAddress()};
        };
    }

    private Claim claim(String path) {
        String url = "http://localhost:" + receiver.getAddress().getPort() + path;
        return new Claim("sub_1", url, WebhookSecrets.generate(), null, null,
                SubscriptionFilter.of(List.of(), List.of()), 0, 0, null, 1);
    }
}
