package dev.moratorium.reliability;

import dev.moratorium.embedded.Ports;
import dev.moratorium.testing.PackagedServiceEnv;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The packaged service ({@code target/quarkus-app/quarkus-run.jar}) as a separate process, with production settings. */
final class ServiceProcess {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Map<String, String> env;
    private final int port;
    private Process process;
    private int starts;
    private Path log;

    ServiceProcess(String name, String bootstrapServers, String jdbcUrl, Map<String, String> extraEnv) throws IOException {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: the reliability tests run after `package`");
        }
        this.name = name;
        this.port = Ports.free();
        this.env = PackagedServiceEnv.of(bootstrapServers, jdbcUrl, port, extraEnv);
    }

    void start() throws IOException {
        starts++;
        log = Path.of("target/reliability", name + "-" + starts + ".log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(javaBin(), "-Xmx512m", "-jar", JAR.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        process = builder.start();
    }

    /** Waits for readiness; fails if the process dies or is not ready in time. */
    void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready");
            }
            if (status("/q/health/ready") == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " was not ready within " + timeout);
    }

    /** SIGKILL: no shutdown hooks, nothing flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as Kubernetes stops a pod; returns how long the process took to exit. */
    Duration terminate(Duration limit) throws InterruptedException {
        long started = System.nanoTime();
        process.destroy();
        if (!process.waitFor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not exit within " + limit + " of SIGTERM");
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    long pid() {
        return process.pid();
    }

    /** SIGSTOP: the whole JVM freezes (threads, timers, sockets unread), as in a long GC pause or a stopped VM. */
    void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The HTTP status of a GET, or -1 when nothing answers. */
    int status(String path) {
        try {
            return HTTP.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String get(String path) throws IOException, InterruptedException {
        return HTTP.send(request(path), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a Prometheus counter over all its series. */
    double metric(String name) throws IOException, InterruptedException {
        double sum = 0;
        for (String line : get("/q/metrics").split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /**
     * What a failing test needs to say why: whether the process lives, its readiness answer and the
     * last warnings and errors it logged (the broker client's reconnect chatter and the health
     * check's repeated DOWN reports left out), so that a failure in CI explains itself.
     */
    String diagnose() {
        StringBuilder out = new StringBuilder(name).append(": ");
        if (process == null) {
            return out.append("never started").toString();
        }
        out.append(process.isAlive() ? "alive" : "exited " + process.exitValue());
        if (process.isAlive()) {
            try {
                out.append("; ready: ").append(get("/q/health/ready"));
            } catch (IOException | InterruptedException e) {
                out.append("; ready: no answer (").append(e).append(')');
            }
        }
        try {
            List<String> lines = Files.readAllLines(log).stream()
                    .filter(l -> l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\""))
                    .filter(l -> !l.contains("NetworkClient") && !l.contains("SRHCK01001"))
                    .toList();
            out.append("; last warnings of ").append(log).append(':');
            lines.subList(Math.max(0, lines.size() - 12), lines.size()).forEach(l -> out.append("\n  ")
                    .append(l.length() > 600 ? l.substring(0, 600) + "…" : l));
        } catch (IOException e) {
            out.append("; no log: ").append(e);
        }
        return out.toString();
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(5))
                .build();
    }

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
