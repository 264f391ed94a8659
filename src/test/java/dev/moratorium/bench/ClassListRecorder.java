package dev.moratorium.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records the class list of the start-up archive (see docker/record-class-list): the packaged
 * service, with the deployment's JVM options, on the embedded broker and database, started with
 * {@code -XX:DumpLoadedClassList}, taken through what a pod does in its first minute (start,
 * migrations, the index, a replay of policy changes, the relay, access decisions, the read
 * endpoints, the probes and the metrics) and stopped with SIGTERM. The JDK writes the name of each
 * class as it loads it; {@code java -Xshare:dump} turns the list into an archive on the JDK that
 * will run it (Dockerfile.jvm). A class missing from the list is loaded as usual, so the list
 * affects start-up time only, never behaviour.
 */
public final class ClassListRecorder {

    private static final List<String> PATHS = List.of(
            "/access?vendor=" + BenchWorkload.vendor(0) + "&product=" + BenchWorkload.product(0) + "&segment=police",
            "/access?vendor=" + BenchWorkload.vendor(1) + "&product=" + BenchWorkload.product(1)
                    + "&segment=police&organization=Thorn&explain=true",
            "/access?vendor=" + BenchWorkload.vendor(2) + "&product=" + BenchWorkload.product(2)
                    + "&segment=police&asOf=2020-06-11T00:00:00Z",
            "/moratoria", "/moratoria/" + BenchWorkload.policyId(1), "/moratoria/" + BenchWorkload.policyId(1) + "/history",
            "/notifications",
            "/rejections", "/outbox/parked", "/subscriptions", "/ops/status", "/ops/ping",
            "/q/health", "/q/health/ready", "/q/health/live", "/q/metrics", "/q/openapi", "/", "/dashboard.js");

    /**
     * The classes a multi-release jar of the class path holds under {@code META-INF/versions/N/}.
     * The JDK 17 builds tried here archive them, but when a class-file hook is on (JFR, or any
     * agent) the JVM reads a shared class's bytes again from the jar's root, finds none (or the
     * base version) and crashes (SIGSEGV in {@code KlassFactory::check_shared_class_file_load_hook};
     * 17.0.15, PostgreSQL's driver). Left out of the list, they load from their jar as usual.
     */
    static Set<String> versionedClasses(Path runnerJar) throws IOException {
        Set<String> names = new HashSet<>();
        List<Path> jars = new ArrayList<>(List.of(runnerJar));
        try (JarFile runner = new JarFile(runnerJar.toFile())) {
            String classPath = runner.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            for (String entry : classPath == null ? new String[0] : classPath.trim().split("\\s+")) {
                jars.add(runnerJar.resolveSibling(entry));
            }
        }
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                file.stream().map(e -> VERSIONED.matcher(e.getName())).filter(Matcher::matches)
                        .forEach(m -> names.add(m.group(1)));
            }
        }
        return names;
    }

    private static final Pattern VERSIONED = Pattern.compile("META-INF/versions/\\d+/(.+)\\.class");

    /** The class a line of the list names: the line itself, or a lambda proxy's caller. */
    static String classNamed(String line) {
        String[] words = line.trim().split("\\s+");
        if (line.startsWith("@lambda-proxy") && words.length > 1) {
            return words[1];
        }
        return line.startsWith("#") || line.startsWith("@") ? "" : words[0];
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("out", "target/quarkus-app/app-cds.classlist")).toAbsolutePath();
        int events = Integer.getInteger("events", 3000);
        int policies = Integer.getInteger("policies", 500);
        Files.createDirectories(out.getParent());
        Files.deleteIfExists(out);
        // The list must name every class the run loads; one mapped from an older archive (the
        // deployment's options name it) might not be listed, so the recording runs without one.
        Files.deleteIfExists(BenchService.LOCAL_ARCHIVE);
        try (BenchEnv env = BenchEnv.start();
                BenchService service = env.service("class-list", Map.of())) {
            service.jvmOptions("-XX:DumpLoadedClassList=" + out).start();
            long readyMs = service.awaitReady(Duration.ofMinutes(3));
            env.produce(BenchWorkload.ingest(events, policies, 42));
            env.awaitApplied(events, Duration.ofMinutes(5), Duration.ofMillis(100));
            for (int round = 0; round < 3; round++) {
                for (String path : PATHS) {
                    service.status(path);
                }
            }
            Duration stop = service.terminate(Duration.ofSeconds(30));
            Set<String> versioned = versionedClasses(BenchService.JAR);
            List<String> kept = new ArrayList<>();
            long classes = 0;
            int dropped = 0;
            for (String line : Files.readAllLines(out)) {
                if (versioned.contains(classNamed(line))) {
                    dropped++;
                    continue;
                }
                kept.add(line);
                classes += line.startsWith("#") || line.startsWith("@") ? 0 : 1;
            }
            Files.write(out, kept);
            System.out.printf("class list: %s, %d classes, %d lines of multi-release classes left out (ready in %d ms,"
                    + " %d events applied, stopped in %d ms)%n", out, classes, dropped, readyMs, events, stop.toMillis());
        }
        System.exit(0);
    }
}
