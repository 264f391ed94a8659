package dev.moratorium.bench;

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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) as its own process with
 * production settings, as the reliability harness runs it: the standard environment variables
 * point it at the benchmark's broker and database. JVM options come from {@code SERVICE_JAVA_OPTS}
 * (default: the Kubernetes deployment's, {@link #deploymentJavaOpts()}); {@code BENCH_PROFILE=1} adds a JFR
 * recording written to {@code target/bench/<name>.jfr}.
 */
final class BenchService implements AutoCloseable {

    /** The packaged service; {@code SERVICE_JAR} chooses another build (e.g. a copy made before a change, for A/B runs). */
    static final Path JAR = Path.of(System.getenv().getOrDefault("SERVICE_JAR", "target/quarkus-app/quarkus-run.jar"));
    static final Path OUT = Path.of("target/bench");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final int port;
    private final Map<String, String> env;
    private Process process;
    private long startedNanos;
    private ScheduledExecutorService sampler;
    private volatile long maxRssKb;
    private volatile long maxHwmKb;
    private Path jfr;
    private final List<String> extraJvmOptions = new ArrayList<>();

    BenchService(String name, String bootstrapServers, String jdbcUrl, Map<String, String> extraEnv) throws IOException {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: run ./mvnw -B -q package -DskipTests first");
        }
        this.name = name;
        this.port = Ports.free();
        this.env = PackagedServiceEnv.of(bootstrapServers, jdbcUrl, port, extraEnv);
    }

    /** The Kubernetes deployment, whose JVM options the benchmarks run the service with by default. */
    static final Path DEPLOYMENT = Path.of("k8s/base/deployment.yaml");

    /** {@code SERVICE_JAVA_OPTS}, else {@link #deploymentJavaOpts()}. */
    static String javaOpts() {
        String opts = System.getenv("SERVICE_JAVA_OPTS");
        return opts == null ? deploymentJavaOpts() : opts.trim();
    }

    /**
     * The JVM options the pod runs with: the deployment's {@code GC_CONTAINER_OPTIONS} (the image's
     * run-java.sh puts it in place of its default collector) and {@code JAVA_OPTS_APPEND}, less
     * {@code -Dquarkus.http.host} (the benchmarks keep the service on localhost). bench/common.sh
     * reads the same two values, to print them.
     */
    static String deploymentJavaOpts() {
        try {
            String yaml = Files.readString(DEPLOYMENT);
            List<String> opts = new ArrayList<>();
            for (String name : List.of("GC_CONTAINER_OPTIONS", "JAVA_OPTS_APPEND")) {
                java.util.regex.Matcher m = java.util.regex.Pattern
                        .compile("- name: " + name + "\\s*\\n\\s*value: \"([^\"]*)\"").matcher(yaml);
                if (!m.find()) {
                    throw new IllegalStateException(name + " is not set in " + DEPLOYMENT);
                }
                for (String o : m.group(1).trim().split("\\s+")) {
                    if (!o.startsWith("-Dquarkus.http.host=")) {
                        opts.add(o);
                    }
                }
            }
            return String.join(" ", opts);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static boolean profiling() {
        return "1".equals(System.getenv("BENCH_PROFILE"));
    }

    void start() throws IOException {
        Files.createDirectories(OUT);
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        if (!javaOpts().isEmpty()) {
            command.addAll(Arrays.asList(javaOpts().split("\\s+")));
        }
        command.addAll(extraJvmOptions);
        if (profiling()) {
            jfr = OUT.resolve(name + ".jfr").toAbsolutePath();
            Files.deleteIfExists(jfr);
            command.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        }
        command.addAll(List.of("-jar", JAR.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(OUT.resolve(name + ".log").toFile());
        builder.environment().putAll(env);
        startedNanos = System.nanoTime();
        process = builder.start();
    }

    /** JVM options added after {@code SERVICE_JAVA_OPTS} (e.g. a class-data-sharing archive). */
    BenchService jvmOptions(String... options) {
        extraJvmOptions.addAll(Arrays.asList(options));
        return this;
    }

    long pid() {
        return process.pid();
    }

    Path jfrFile() {
        return jfr;
    }

    /** Milliseconds from the process start to {@code /q/health/ready} answering 200 with status UP. */
    long awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready"
                        + " (see " + OUT.resolve(name + ".log") + ")");
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
        throw new IllegalStateException(name + " was not ready within " + timeout);
    }

    String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(5)).build();
    }

    // --- memory ---------------------------------------------------------------------------------

    /** Samples VmRSS every 100 ms until {@link #stopSampling()}. */
    void startSampling() {
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rss-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> {
            long[] m = memoryKb();
            maxRssKb = Math.max(maxRssKb, m[0]);
            maxHwmKb = Math.max(maxHwmKb, m[1]);
        }, 0, 100, TimeUnit.MILLISECONDS);
    }

    /** {max VmRSS seen while sampling, VmHWM} in KiB. */
    long[] stopSampling() {
        sampler.shutdownNow();
        long[] m = memoryKb();
        return new long[] {Math.max(maxRssKb, m[0]), Math.max(maxHwmKb, m[1])};
    }

    /** {VmRSS, VmHWM} in KiB from /proc/PID/status. */
    long[] memoryKb() {
        long rss = 0;
        long hwm = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process has gone
        }
        return new long[] {rss, hwm};
    }

    /** SIGTERM, and waits for the exit (a JFR recording is written at exit). */
    @Override
    public void close() throws InterruptedException {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
