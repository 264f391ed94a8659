package dev.moratorium.testing;

import dev.moratorium.embedded.Ports;
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
import java.util.concurrent.TimeUnit;

/**
 * The packaged service ({@code target/quarkus-app/moratorium-service-runner.jar}, or another build) as a process
 * of its own with production settings, pointed at a real broker and database by the standard
 * environment variables: what the reliability tests break and the benchmarks measure. Each start
 * logs to a file of its own in {@code logDir}.
 */
public class PackagedService {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    protected final String name;
    private final Path jar;
    private final Path logDir;
    private final Map<String, String> env;
    private final int port;
    private Process process;
    private long startedNanos;
    private int starts;
    private Path log;

    public PackagedService(String name, Path jar, Path logDir, String bootstrapServers, String jdbcUrl,
            Map<String, String> extraEnv) throws IOException {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw -B -q package -DskipTests first");
        }
        this.name = name;
        this.jar = jar;
        this.logDir = logDir;
        this.port = Ports.free();
        this.env = PackagedServiceEnv.of(bootstrapServers, jdbcUrl, port, extraEnv);
    }

    /** Starts the JVM with these options; the first start logs to {@code <name>.log}, later ones to {@code <name>-N.log}. */
    public void start(List<String> jvmOptions) throws IOException {
        starts++;
        Files.createDirectories(logDir);
        log = logDir.resolve(starts == 1 ? name + ".log" : name + "-" + starts + ".log");
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        ScratchDirectories.markAsOurs(builder);
        startedNanos = System.nanoTime();
        process = builder.start();
    }

    /**
     * Waits until {@code /q/health/ready} answers 200 with status UP; returns the milliseconds since
     * the process started. Fails if the process exits first or is not ready in time.
     */
    public long awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready"
                        + " (see " + log + ")");
            }
            try {
                HttpResponse<String> r = HTTP.send(request("/q/health/ready"), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"UP\"")) {
                    return (System.nanoTime() - startedNanos) / 1_000_000;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException(name + " was not ready within " + timeout + "\n" + diagnose());
    }

    /** SIGKILL: no shutdown hooks, nothing flushed. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as Kubernetes stops a pod; returns how long the process took to exit. */
    public Duration terminate(Duration limit) throws InterruptedException {
        long started = System.nanoTime();
        process.destroy();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not exit within " + limit + " of SIGTERM");
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /** SIGSTOP: the whole JVM freezes (threads, timers, sockets unread), as in a long GC pause or a stopped VM. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Waits for the process to exit by itself; its exit code, or empty when it is still running at the limit. */
    public java.util.OptionalInt awaitExit(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? java.util.OptionalInt.of(process.exitValue())
                : java.util.OptionalInt.empty();
    }

    /** Everything the current (last started) process logged. */
    public String logText() throws IOException {
        return Files.readString(log);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The HTTP status of a GET, or -1 when nothing answers. */
    public int status(String path) {
        try {
            return HTTP.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The body of a GET, whatever its status. */
    public String body(String path) throws IOException, InterruptedException {
        return HTTP.send(request(path), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The body of a GET that must answer 200. */
    public String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** The sum of a Prometheus counter over all its series. */
    public double metric(String name) throws IOException, InterruptedException {
        double sum = 0;
        for (String line : get("/q/metrics").split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The lines the current (last started) process logged at {@code level} (JSON log lines). */
    public List<String> logLines(String level) throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains("\"level\":\"" + level + "\"")).toList();
    }

    /**
     * What a failing test needs to say why: whether the process lives, its readiness answer and the
     * last warnings and errors it logged (the broker client's reconnect chatter and the health
     * check's repeated DOWN reports left out), so that a failure in CI explains itself.
     */
    public String diagnose() {
        StringBuilder out = new StringBuilder(name).append(": ");
        if (process == null) {
            return out.append("never started").toString();
        }
        out.append(process.isAlive() ? "alive" : "exited " + process.exitValue());
        if (process.isAlive()) {
            try {
                out.append("; ready: ").append(body("/q/health/ready"));
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
        return HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(5)).build();
    }
}
