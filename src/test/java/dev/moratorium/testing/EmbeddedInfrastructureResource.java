package dev.moratorium.testing;

import dev.moratorium.embedded.EmbeddedInfrastructure;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts a real Kafka broker (KRaft) and a real PostgreSQL inside the test JVM — the same classes
 * dev mode uses — on free ports and in a fresh directory, and points the service at them.
 */
public class EmbeddedInfrastructureResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedInfrastructure infrastructure;
    private Path dataDir;

    @Override
    public Map<String, String> start() {
        try {
            dataDir = Files.createTempDirectory("moratorium-test-");
            infrastructure = EmbeddedInfrastructure.start(0, 0, dataDir, 3);
            Map<String, String> config = new HashMap<>(infrastructure.config());
            TestKafka.bootstrapServers = infrastructure.kafka().bootstrapServers();
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the embedded Kafka broker and PostgreSQL", e);
        }
    }

    @Override
    public void stop() {
        try {
            if (infrastructure != null) {
                infrastructure.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            deleteQuietly(dataDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }
}
