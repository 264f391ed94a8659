package dev.moratorium.reliability;

import static dev.moratorium.reliability.RunSettings.CATCH_UP;
import static dev.moratorium.reliability.RunSettings.READY;
import static dev.moratorium.reliability.RunSettings.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.security.CallerPermissions;
import dev.moratorium.testing.TestTokens;
import io.smallrye.jwt.build.Jwt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A republication of every current state (POST /ops/state-republish) whose replica freezes (SIGSTOP)
 * half-way, while the broker is down: the run is the database's, so the other replica goes on with
 * it once the lease lapses, after the last chunk the frozen one committed; when the frozen replica
 * wakes, it finds the run no longer its own and moves nothing. Every policy's state goes out exactly
 * once (by CloudEvent id), none skipped.
 * <p>
 * The run pauses while 2,000 rows wait in the outbox; with the broker down nothing drains, so the
 * frozen replica is caught between chunks, not by luck of timing.
 */
class RepublishTakeoverIT {

    /** More than the 2,000 rows at which a run pauses, so that a run is paused half-way. */
    private static final int POLICIES = 2_700;
    private static final Duration LEASE = Duration.ofSeconds(8);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void aFrozenReplicasRunIsFinishedByTheOtherAfterItsLastChunkAndEveryStateGoesOutOnce() throws Exception {
        Workload w = Workload.generate(POLICIES * 2, POLICIES, SEED, "republish");
        KeyPair keys = TestTokens.generateKeyPair();
        try (Harness h = new Harness(3)) {
            ServiceProcess a = replica(h, "republish-a", keys);
            ServiceProcess b = replica(h, "republish-b", keys);
            a.start();
            b.start();
            a.awaitReady(READY);
            b.awaitReady(READY);
            h.produce(w.records);
            h.awaitCaughtUp(w, CATCH_UP, a, b);
            long policies = h.count("SELECT count(*) FROM policy");
            Set<String> before = stateIds(h).keySet();

            h.kafka.close(); // nothing drains: the run pauses at 2,000 rows waiting
            post(a, "/ops/state-republish", keys);
            Run paused = awaitRun(h, r -> r.holder().contains(":" + a.pid() + ":") && r.queued() >= 2_000,
                    Duration.ofSeconds(60), "the run paused on replica a", a, b);
            Thread.sleep(1_000);
            assertThat(run(h).queued()).as("paused: nothing queued while 2,000 rows wait").isEqualTo(paused.queued());
            a.freeze();
            long frozenAt = System.nanoTime();

            Run taken = awaitRun(h, r -> r.holder().contains(":" + b.pid() + ":"), LEASE.plusSeconds(25),
                    "replica b took the run over", a, b);
            long takeoverMs = (System.nanoTime() - frozenAt) / 1_000_000;
            assertThat(taken.queued()).as("going on after the frozen replica's last chunk, not from the start")
                    .isEqualTo(paused.queued());
            assertThat(taken.generation()).as("the same run, not one started again").isEqualTo(paused.generation());

            h.startKafka();
            Run finished = awaitRun(h, r -> r.status().equals("FINISHED"), Duration.ofMinutes(3), "the run finished", a, b);
            assertThat(finished.queued()).as("every policy queued once, none skipped").isEqualTo(policies);
            a.thaw();
            a.awaitReady(READY);
            awaitOutboxEmpty(h, a, b);
            // the woken replica's worker finds the run no longer its own (a chunk it tries is rolled back)
            long letGoBy = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!a.logText().contains("Republishing states no longer here: the run is finished")) {
                assertThat(System.nanoTime()).as("the woken replica let go of the run\n%s", a.diagnose())
                        .isLessThan(letGoBy);
                Thread.sleep(200);
            }
            assertThat(run(h)).as("the woken replica moved nothing").isEqualTo(finished);
            awaitOutboxEmpty(h, a, b);

            Map<String, List<String>> republished = new HashMap<>();
            stateIds(h).forEach((id, key) -> {
                if (!before.contains(id)) {
                    republished.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
                }
            });
            Set<String> once = republished.entrySet().stream().filter(e -> e.getValue().size() == 1)
                    .map(Map.Entry::getKey).collect(Collectors.toSet());
            System.out.printf("reliability republish takeover: %d policies; paused at %d queued on replica a, frozen;"
                    + " replica b took the run over %d ms after the freeze (lease %d s), finished it at %d; states"
                    + " republished: %d policies, %d of them once, %d with more than one id%n", policies, paused.queued(),
                    takeoverMs, LEASE.toSeconds(), finished.queued(), republished.size(), once.size(),
                    republished.size() - once.size());
            assertThat(republished.keySet()).as("every policy's state republished").isEqualTo(w.policies.keySet());
            assertThat(once).as("each under one CloudEvent id: no chunk queued twice").isEqualTo(w.policies.keySet());
            h.verify(w, List.of(a, b));
            a.terminate(Duration.ofSeconds(20));
            b.terminate(Duration.ofSeconds(20));
        }
    }

    private static ServiceProcess replica(Harness h, String name, KeyPair keys) throws Exception {
        return h.service(name, h.postgres.jdbcUrl(), Map.of(
                "MP_JWT_VERIFY_PUBLICKEY", TestTokens.publicKeySetting(keys),
                "MORATORIUM_STATE_TOPIC_REPUBLISH_LEASE", LEASE.toSeconds() + "s",
                "MORATORIUM_WRITERS_LOCK_TIMEOUT", "5s",
                // the frozen replica also holds the outbox's lease: the other publishes within it
                "MORATORIUM_OUTBOX_LEASE", "12s",
                "MORATORIUM_OUTBOX_ACK_TIMEOUT", "8s"));
    }

    private record Run(String status, String holder, long queued, long generation) {
    }

    private static Run run(Harness h) throws Exception {
        try (Connection c = DriverManager.getConnection(h.postgres.jdbcUrl()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT status, coalesce(holder, ''), queued, generation"
                        + " FROM state_republish WHERE id = 1")) {
            return rs.next() ? new Run(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4))
                    : new Run("NONE", "", 0, 0);
        }
    }

    private static Run awaitRun(Harness h, Predicate<Run> until, Duration timeout, String what,
            ServiceProcess... services) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Run r = run(h);
        while (!until.test(r)) {
            assertThat(System.nanoTime()).as("%s within %s (last: %s)%s", what, timeout, r,
                    Arrays.stream(services).map(s -> "\n" + s.diagnose()).collect(Collectors.joining()))
                    .isLessThan(deadline);
            Thread.sleep(100);
            r = run(h);
        }
        return r;
    }

    private static void awaitOutboxEmpty(Harness h, ServiceProcess... services) throws Exception {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        while (h.count("SELECT count(*) FROM outbox") > 0) {
            assertThat(System.nanoTime()).as("the outbox drained%s",
                    Arrays.stream(services).map(s -> "\n" + s.diagnose()).collect(Collectors.joining()))
                    .isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    /** Every record on moratorium-state: its CloudEvent id and key (a policy id). */
    private static Map<String, String> stateIds(Harness h) {
        Map<String, String> ids = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : h.readTopic("moratorium-state")) {
            ids.put(new String(r.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8),
                    new String(r.key(), StandardCharsets.UTF_8));
        }
        return ids;
    }

    private static void post(ServiceProcess service, String path, KeyPair keys) throws Exception {
        String token = Jwt.issuer(TestTokens.ISSUER).upn("republish-reliability").groups(Set.of(CallerPermissions.ADMIN))
                .expiresIn(600).sign(keys.getPrivate());
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(service.baseUrl() + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", path, r.body()).isEqualTo(202);
    }
}
