package dev.moratorium.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Aggregates the {@code jdk.ExecutionSample} events of a JFR recording (what
 * {@code jfr print --events jdk.ExecutionSample} lists) into where the CPU time went: top frames
 * by self time, methods and components by inclusive time, the first service frame on each stack,
 * and threads. Usage: {@code JfrTop file.jfr [fromEpochMillis toEpochMillis] [top]}.
 */
public final class JfrTop {

    private JfrTop() {
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        Instant from = args.length > 2 ? Instant.ofEpochMilli(Long.parseLong(args[1])) : Instant.MIN;
        Instant to = args.length > 2 ? Instant.ofEpochMilli(Long.parseLong(args[2])) : Instant.MAX;
        int top = args.length > 3 ? Integer.parseInt(args[3]) : 25;
        System.out.print(summarize(file, from, to, top));
    }

    static String summarize(Path file, Instant from, Instant to, int top) throws IOException {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> components = new HashMap<>();
        Map<String, Integer> serviceFrames = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = st.getFrames();
            self.merge(name(frames.get(0)), 1, Integer::sum);
            Set<String> seenMethods = new HashSet<>();
            Set<String> seenComponents = new HashSet<>();
            String firstService = null;
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (seenMethods.add(n)) {
                    inclusive.merge(n, 1, Integer::sum);
                }
                String comp = component(f.getMethod().getType().getName());
                if (seenComponents.add(comp)) {
                    components.merge(comp, 1, Integer::sum);
                }
                if (firstService == null && f.getMethod().getType().getName().startsWith("dev.moratorium.")) {
                    firstService = n;
                }
            }
            serviceFrames.merge(firstService == null ? "(no dev.moratorium frame)" : firstService, 1, Integer::sum);
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("[-#]?\\d+$", "-N").replaceAll("\\d+", "N"), 1,
                    Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        b.append("JFR ").append(file.getFileName()).append(": ").append(samples).append(" execution samples\n");
        section(b, "threads (share of samples)", threads, samples, 12);
        section(b, "components on the stack (inclusive; a sample counts once per component)", components, samples, 20);
        section(b, "top frames (self)", self, samples, top);
        section(b, "methods on the stack (inclusive)", inclusive, samples, top);
        section(b, "first dev.moratorium frame from the top (whose work it is)", serviceFrames, samples, top);
        return b.toString();
    }

    private static void section(StringBuilder b, String title, Map<String, Integer> counts, int samples, int top) {
        b.append("-- ").append(title).append('\n');
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> b.append(String.format("%6.1f%%  %7d  %s%n", 100.0 * e.getValue() / Math.max(1, samples),
                        e.getValue(), e.getKey())));
    }

    private static String name(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type + "." + f.getMethod().getName();
    }

    private static final Map<String, String> COMPONENTS = new LinkedHashMap<>();

    static {
        COMPONENTS.put("dev.moratorium.", "service code (dev.moratorium)");
        COMPONENTS.put("org.postgresql.", "PostgreSQL JDBC driver");
        COMPONENTS.put("org.hibernate.", "Hibernate ORM");
        COMPONENTS.put("io.quarkus.hibernate", "Hibernate ORM");
        COMPONENTS.put("io.quarkus.narayana", "transactions (Narayana)");
        COMPONENTS.put("com.arjuna.", "transactions (Narayana)");
        COMPONENTS.put("io.agroal.", "connection pool (Agroal)");
        COMPONENTS.put("org.apache.kafka.", "Kafka client");
        COMPONENTS.put("io.smallrye.reactive.messaging", "SmallRye Reactive Messaging");
        COMPONENTS.put("com.fasterxml.jackson.", "Jackson");
        COMPONENTS.put("io.vertx.", "Vert.x");
        COMPONENTS.put("io.netty.", "Netty");
        COMPONENTS.put("org.jboss.resteasy.reactive", "Quarkus REST");
        COMPONENTS.put("io.quarkus.resteasy.reactive", "Quarkus REST");
        COMPONENTS.put("io.micrometer.", "Micrometer");
        COMPONENTS.put("io.quarkus.arc.", "CDI (ArC)");
        COMPONENTS.put("org.jboss.logmanager.", "logging");
        COMPONENTS.put("org.jboss.logging.", "logging");
        COMPONENTS.put("java.util.zip.", "JDK zip/CRC");
        COMPONENTS.put("sun.nio.", "JDK NIO");
        COMPONENTS.put("java.time.", "JDK java.time");
        COMPONENTS.put("java.util.regex.", "JDK regex");
        COMPONENTS.put("java.util.UUID", "JDK UUID (name-based ids)");
        COMPONENTS.put("sun.security.provider.", "JDK MessageDigest (MD5/SHA)");
    }

    private static String component(String type) {
        for (Map.Entry<String, String> e : COMPONENTS.entrySet()) {
            if (type.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        int dot = type.indexOf('.', type.indexOf('.') + 1);
        return "other: " + (dot > 0 ? type.substring(0, dot) : type);
    }
}
