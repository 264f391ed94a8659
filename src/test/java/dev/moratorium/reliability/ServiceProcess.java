package dev.moratorium.reliability;

import dev.moratorium.testing.DeploymentJvmOptions;
import dev.moratorium.testing.PackagedService;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The packaged service as the reliability tests run it: a 512 MiB heap (or the deployment's options), its logs in {@code target/reliability}. */
final class ServiceProcess extends PackagedService {

    private static final Path JAR = Path.of("target/quarkus-app/moratorium-service-runner.jar");

    ServiceProcess(String name, String bootstrapServers, String jdbcUrl, Map<String, String> extraEnv) throws IOException {
        super(name, JAR, Path.of("target/reliability"), bootstrapServers, jdbcUrl, extraEnv);
    }

    /**
     * C1 only: these tests check what the service does, not how fast, and several services, brokers
     * and databases share two cores; C2's compilations of a run this short are CPU they wait for.
     */
    void start() throws IOException {
        start(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1"));
    }

    /** With the Kubernetes deployment's JVM options (its 160 MiB heap, exit on OutOfMemoryError), no start-up archive. */
    void startAsDeployed() throws IOException {
        start(DeploymentJvmOptions.withArchive(null));
    }
}
