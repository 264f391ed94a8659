package dev.moratorium.bench;

import dev.moratorium.testing.DeploymentJvmOptions;
import dev.moratorium.testing.PackagedService;
import java.io.IOException;
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
 * The packaged service as a benchmark runs it ({@link PackagedService}, as the reliability tests
 * do), with its RSS sampled and, on request, a JFR recording. JVM options come from {@code SERVICE_JAVA_OPTS}
 * (default: the Kubernetes deployment's, {@link #deploymentJavaOpts()}); {@code BENCH_PROFILE=1} adds a JFR
 * recording written to {@code target/bench/<name>.jfr}.
 */
final class BenchService extends PackagedService implements AutoCloseable {

    /** The packaged service; {@code SERVICE_JAR} chooses another build (e.g. a copy made before a change, for A/B runs). */
    static final Path JAR = Path.of(System.getenv().getOrDefault("SERVICE_JAR", "target/quarkus-app/moratorium-service-runner.jar"));
    static final Path OUT = Path.of("target/bench");

    private ScheduledExecutorService sampler;
    private volatile long maxRssKb;
    private volatile long maxHwmKb;
    private volatile long maxAnonKb;
    private volatile long fileKbAtMaxRss;
    private Path jfr;
    private final List<String> extraJvmOptions = new ArrayList<>();

    BenchService(String name, String bootstrapServers, String jdbcUrl, Map<String, String> extraEnv) throws IOException {
        super(name, JAR, OUT, bootstrapServers, jdbcUrl, extraEnv);
    }

    /** The start-up archive the image's build makes, made by bench/common.sh with this JDK. */
    static final Path LOCAL_ARCHIVE = Path.of("target/quarkus-app/app-cds.jsa");

    /** {@code SERVICE_JAVA_OPTS}, else {@link #deploymentJavaOpts()}. */
    static String javaOpts() {
        String opts = System.getenv("SERVICE_JAVA_OPTS");
        return opts == null ? deploymentJavaOpts() : opts.trim();
    }

    /**
     * The JVM options the pod runs with ({@link DeploymentJvmOptions}), the image's start-up
     * archive replaced by {@link #LOCAL_ARCHIVE}. bench/common.sh reads the same two values, to print them.
     */
    static String deploymentJavaOpts() {
        return String.join(" ", DeploymentJvmOptions.withArchive(LOCAL_ARCHIVE));
    }

    static boolean profiling() {
        return "1".equals(System.getenv("BENCH_PROFILE"));
    }

    void start() throws IOException {
        List<String> options = new ArrayList<>();
        if (!javaOpts().isEmpty()) {
            options.addAll(Arrays.asList(javaOpts().split("\\s+")));
        }
        options.addAll(extraJvmOptions);
        if (profiling()) {
            Files.createDirectories(OUT);
            jfr = OUT.resolve(name + ".jfr").toAbsolutePath();
            Files.deleteIfExists(jfr);
            options.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        }
        start(options);
    }

    /** JVM options added after {@code SERVICE_JAVA_OPTS} (e.g. a class-data-sharing archive). */
    BenchService jvmOptions(String... options) {
        extraJvmOptions.addAll(Arrays.asList(options));
        return this;
    }

    Path jfrFile() {
        return jfr;
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
            if (m[0] > maxRssKb) {
                maxRssKb = m[0];
                fileKbAtMaxRss = m[3];
            }
            maxHwmKb = Math.max(maxHwmKb, m[1]);
            maxAnonKb = Math.max(maxAnonKb, m[2]);
        }, 0, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * {max VmRSS seen while sampling, VmHWM, max RssAnon, RssFile in the sample of max VmRSS} in
     * KiB. RssFile is the resident part of mapped files — the start-up archive, the JDK's
     * libraries, the jars — which the kernel can drop and read again; RssAnon (heap, code,
     * metaspace, threads, malloc) it cannot.
     */
    long[] stopSampling() {
        sampler.shutdownNow();
        long[] m = memoryKb();
        boolean last = m[0] > maxRssKb;
        return new long[] {Math.max(maxRssKb, m[0]), Math.max(maxHwmKb, m[1]), Math.max(maxAnonKb, m[2]),
            last ? m[3] : fileKbAtMaxRss};
    }

    /** {VmRSS, VmHWM, RssAnon, RssFile} in KiB from /proc/PID/status. */
    long[] memoryKb() {
        long[] m = new long[4];
        String[] keys = {"VmRSS:", "VmHWM:", "RssAnon:", "RssFile:"};
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                for (int i = 0; i < keys.length; i++) {
                    if (line.startsWith(keys[i])) {
                        m[i] = Long.parseLong(line.replaceAll("\\D", ""));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process has gone
        }
        return m;
    }

    /** SIGTERM, and waits for the exit (a JFR recording is written at exit). */
    @Override
    public void close() throws InterruptedException {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (isAlive()) {
            try {
                terminate(Duration.ofSeconds(30));
            } catch (IllegalStateException e) {
                kill(); // did not exit in time: it was sent SIGKILL
            }
        }
    }
}
