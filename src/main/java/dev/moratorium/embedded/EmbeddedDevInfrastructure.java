package dev.moratorium.embedded;

import dev.moratorium.config.EmbeddedDefaults;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The embedded infrastructure of one dev-mode JVM: started once, kept across live reloads (which
 * rebuild the application's class loader, so the state lives in a JVM-wide system property) and
 * stopped when the JVM exits.
 */
final class EmbeddedDevInfrastructure {

    /** Outside the {@code moratorium.} namespace on purpose: it is bookkeeping, not a setting. */
    private static final String STARTED = "dev-moratorium-embedded-config";
    /** Set by the application while it runs (see AppLifecycle), so the broker outlives the consumer on shutdown. */
    private static final String APP_RUNNING = "dev-moratorium-app-running";
    /** The JVM shutdown hook in which Quarkus stops the application. */
    private static final String QUARKUS_SHUTDOWN_THREAD = "Shutdown thread";

    private EmbeddedDevInfrastructure() {
    }

    static Map<String, String> startOnce(Function<String, String> setting) {
        synchronized (System.class) { // JVM-wide: live reload brings a new copy of this class
            String started = System.getProperty(STARTED);
            if (started != null) {
                return decode(started);
            }
            Map<String, String> config = start(setting);
            System.setProperty(STARTED, encode(config));
            return config;
        }
    }

    private static Map<String, String> start(Function<String, String> setting) {
        int kafkaPort = intSetting(setting, "moratorium.embedded.kafka-port", Integer.parseInt(EmbeddedDefaults.KAFKA_PORT));
        int postgresPort = intSetting(setting, "moratorium.embedded.postgres-port", Integer.parseInt(EmbeddedDefaults.POSTGRES_PORT));
        int httpPort = intSetting(setting, "quarkus.http.port", 8080);
        int partitions = intSetting(setting, "moratorium.embedded.partitions", Integer.parseInt(EmbeddedDefaults.PARTITIONS));
        String dir = setting.apply("moratorium.embedded.data-dir");
        Path dataDir = Path.of(dir == null || dir.isBlank() ? "target/embedded" : dir);
        try {
            Ports.requireFree(httpPort, "HTTP server", "quarkus.http.port (environment QUARKUS_HTTP_PORT)");
            EmbeddedInfrastructure infrastructure = EmbeddedInfrastructure.start(kafkaPort, postgresPort, dataDir,
                    partitions);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(infrastructure), "embedded-infrastructure-stop"));
            Map<String, String> config = new LinkedHashMap<>(infrastructure.config());
            config.put("moratorium.embedded.data-dir-resolved", dataDir.toAbsolutePath().toString());
            return config;
        } catch (Ports.PortTakenException e) {
            // The sentence says everything; a stack trace would only hide it.
            System.err.println();
            System.err.println("ERROR: " + e.getMessage());
            System.err.println();
            System.err.flush();
            Runtime.getRuntime().halt(2);
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the embedded Kafka broker and PostgreSQL in " + dataDir
                    + ": " + e.getMessage(), e);
        }
    }

    /** Stops the broker and database only once the application has closed its consumers and producers. */
    private static void stop(EmbeddedInfrastructure infrastructure) {
        long deadline = System.currentTimeMillis() + 15_000;
        try {
            while (Boolean.getBoolean(APP_RUNNING) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t != Thread.currentThread() && QUARKUS_SHUTDOWN_THREAD.equals(t.getName())) {
                    t.join(Math.max(1, deadline - System.currentTimeMillis()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            infrastructure.close();
        } catch (Exception e) {
            System.err.println("embedded infrastructure did not stop cleanly: " + e);
        }
    }

    private static int intSetting(Function<String, String> setting, String name, int fallback) {
        String value = setting.apply(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not \"" + value + "\"");
        }
    }

    private static String encode(Map<String, String> config) {
        StringBuilder out = new StringBuilder();
        config.forEach((k, v) -> out.append(k).append('\u0001').append(v).append('\u0002'));
        return out.toString();
    }

    private static Map<String, String> decode(String encoded) {
        Map<String, String> config = new LinkedHashMap<>();
        for (String entry : encoded.split("\u0002")) {
            if (!entry.isEmpty()) {
                String[] kv = entry.split("\u0001", 2);
                config.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return config;
    }
}
