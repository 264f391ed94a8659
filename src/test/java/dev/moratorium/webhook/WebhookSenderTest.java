package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The host's resolution counts in the attempt's budget: a lookup cannot be interrupted and nothing
 * extends the lease while it lasts, so an attempt whose lookup used the connect timeout sends
 * nothing, and one whose lookup was slow has that much less time for the answer. A receiver on
 * loopback, a resolver that answers late. And the request goes to the address the check resolved,
 * never to a second lookup of the name, over TLS too, where the name is still checked against the
 * receiver's certificate.
 */
class WebhookSenderTest {

    private static Vertx vertx;

    private final AtomicInteger requests = new AtomicInteger();
    private final Map<String, String> hostHeaders = new ConcurrentHashMap<>();
    private final CountDownLatch never = new CountDownLatch(1);
    private HttpServer receiver;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        receiver.createContext("/ok", exchange -> {
            requests.incrementAndGet();
            hostHeaders.put(exchange.getRequestURI().toString(), exchange.getRequestHeaders().getFirst("host"));
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

    /**
     * The name given resolves, for the check, to the receiver's loopback address; the system's
     * resolver knows no such name (.test is reserved, RFC 6761). A client that resolved the name
     * again, as the JDK's did, failed to connect (or, with a name answering differently to each
     * lookup, connected where the check had not looked).
     */
    @Test
    void theRequestGoesToTheAddressCheckedNotToASecondLookup() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        WebhookSender sender = sender(Duration.ofSeconds(2), Duration.ofSeconds(2), host -> {
            lookups.incrementAndGet();
            return new InetAddress[] {InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})};
        });
        int port = receiver.getAddress().getPort();

        Attempt attempt = sender.send(claimTo("http://rebound.test:" + port + "/ok?n=1"), "msg_4",
                "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(attempt.error()).isNull();
        assertThat(attempt.status()).contains(204);
        assertThat(lookups).hasValue(1);
        assertThat(hostHeaders).containsEntry("/ok?n=1", "rebound.test:" + port);
    }

    /**
     * A request line is ASCII (RFC 9112, 3.2): a URL with other characters in its path or query, as
     * a subscriber may write it, is sent with them percent-encoded in UTF-8 (RFC 3987, 3.1), as
     * browsers send it; what is already percent-encoded stays as written.
     */
    @Test
    void charactersOutsideAsciiAreSentPercentEncoded() throws Exception {
        WebhookSender sender = sender(Duration.ofSeconds(2), Duration.ofSeconds(2), slowResolver(Duration.ZERO));

        Attempt attempt = sender.send(claim("/ok/h\u00f8k%20a?q=\u00e9&r=%C3%A9"), "msg_8",
                "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(attempt.error()).isNull();
        assertThat(attempt.status()).contains(204);
        assertThat(hostHeaders).containsOnlyKeys("/ok/h%C3%B8k%20a?q=%C3%A9&r=%C3%A9");
    }

    /**
     * The Host header is given once, an IPv6 address in it in brackets: Vert.x's own would have been
     * "::1:port", which a receiver cannot parse. Its port is left out where it is the scheme's own
     * ({@code TargetGuardTest}).
     */
    @Test
    void anIpv6HostIsNamedInBracketsAndOnce() throws Exception {
        Inet6Address loopback6 = (Inet6Address) InetAddress.getByName("::1");
        HttpServer v6;
        try {
            v6 = HttpServer.create(new InetSocketAddress(loopback6, 0), 10);
        } catch (java.io.IOException e) {
            Assumptions.abort("no IPv6 loopback on this machine: " + e);
            return;
        }
        Map<String, List<String>> seen = new ConcurrentHashMap<>();
        v6.createContext("/", exchange -> {
            seen.put("host", exchange.getRequestHeaders().get("host"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        v6.start();
        try {
            int port = v6.getAddress().getPort();
            WebhookSender sender = sender(Duration.ofSeconds(2), Duration.ofSeconds(2),
                    host -> new InetAddress[] {InetAddress.getByName(host)});

            Attempt attempt = sender.send(claimTo("http://[::1]:" + port + "/v6"), "msg_7",
                    "{}".getBytes(StandardCharsets.UTF_8));

            assertThat(attempt.error()).isNull();
            assertThat(attempt.status()).contains(204);
            assertThat(seen.get("host")).containsExactly("[::1]:" + port);
        } finally {
            v6.stop(0);
        }
    }

    /**
     * A receiver may answer anything. An answer that is not HTTP, one whose headers never end (1 MiB
     * of them) and one cut off before its body ends are each this attempt's failure, with a reason,
     * within the budget; nothing is thrown into the worker's round.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not http|invalid answer: invalid version format: SSH-2.0-OPENSSH_9.2",
            "endless headers|connection error: TooLongHttpHeaderException",
            "cut body|connection error: "})
    void whateverAReceiverAnswersIsAnAttemptWithAReason(String answer, String reason) throws Exception {
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (java.net.Socket socket = raw.accept()) {
                    socket.getInputStream().read(new byte[8192]);
                    java.io.OutputStream out = socket.getOutputStream();
                    switch (answer) {
                        case "not http" -> out.write("SSH-2.0-OpenSSH_9.2\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        case "endless headers" -> {
                            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                            byte[] header = ("x-filler: " + "a".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                            for (int i = 0; i < 1024; i++) {
                                out.write(header);
                            }
                        }
                        default -> out.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nshort"
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                } catch (java.io.IOException e) {
                    // the client may close first (headers too long): that is its answer
                }
            });
            server.start();
            WebhookSender sender = sender(Duration.ofSeconds(2), Duration.ofSeconds(2), slowResolver(Duration.ZERO));

            long started = System.nanoTime();
            Attempt attempt = sender.send(claimTo("http://localhost:" + raw.getLocalPort() + "/"), "msg_8",
                    "{}".getBytes(StandardCharsets.UTF_8));

            assertThat(attempt.delivered()).isFalse();
            assertThat(attempt.error()).startsWith(reason).hasSizeLessThanOrEqualTo(300);
            assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(4_000);
            server.join(5_000);
        }
    }

    /**
     * Over TLS the checked address is connected to, and the URL's name is still what the server is
     * told (SNI) and what its certificate must name: a certificate for another name is refused.
     */
    @Test
    void overTlsTheNameIsStillCheckedAgainstTheCertificate(@TempDir Path dir) throws Exception {
        Path keyStore = dir.resolve("receiver.p12");
        Path certificate = dir.resolve("receiver.pem");
        keytool("-genkeypair", "-alias", "receiver", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=hook.test", "-ext", "san=dns:hook.test", "-validity", "2",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "receiver", "-keystore", keyStore.toString(),
                "-storepass", "changeit", "-file", certificate.toString());
        AtomicReference<String> serverName = new AtomicReference<>();
        io.vertx.core.http.HttpServer tls = vertx.createHttpServer(new HttpServerOptions()
                        .setSsl(true).setSni(true).setHost("127.0.0.1")
                        .setKeyCertOptions(new PfxOptions().setPath(keyStore.toString()).setPassword("changeit")))
                .requestHandler(request -> {
                    serverName.set(request.connection().indicatedServerName());
                    request.response().setStatusCode(204).end();
                });
        int port = tls.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        try {
            AttemptBudget budget = new AttemptBudget(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5));
            HttpClientOptions trusting = WebhookSender.options(1)
                    .setTrustOptions(new PemTrustOptions().addCertPath(certificate.toString()));
            WebhookSender sender = new WebhookSender(budget, new TargetGuard(true,
                    host -> new InetAddress[] {InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})}),
                    Clock.systemUTC(), vertx, trusting);

            Attempt named = sender.send(claimTo("https://hook.test:" + port + "/"), "msg_5",
                    "{}".getBytes(StandardCharsets.UTF_8));
            Attempt misnamed = sender.send(claimTo("https://other.test:" + port + "/"), "msg_6",
                    "{}".getBytes(StandardCharsets.UTF_8));

            assertThat(named.error()).isNull();
            assertThat(named.status()).contains(204);
            assertThat(serverName).hasValue("hook.test");
            assertThat(misnamed.status()).isEmpty();
            assertThat(misnamed.error()).startsWith("connection error: SSLHandshakeException");
        } finally {
            tls.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static void keytool(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }

    private static WebhookSender sender(Duration connect, Duration request, TargetGuard.Resolver resolver) {
        AttemptBudget budget = new AttemptBudget(connect, request, connect.plus(request).plusSeconds(1));
        return new WebhookSender(budget, new TargetGuard(true, resolver), Clock.systemUTC(), vertx,
                WebhookSender.options(1));
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
        return claimTo("http://localhost:" + receiver.getAddress().getPort() + path);
    }

    private static Claim claimTo(String url) {
        return new Claim("sub_1", url, WebhookSecrets.generate(), null, null,
                SubscriptionFilter.of(List.of(), List.of()), 0, 0, null, 1);
    }
}
