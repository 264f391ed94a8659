package dev.moratorium.app;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.security.CallerPermissions;
import dev.moratorium.security.VerificationKey;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Prints the start-up banner, and tells the embedded infrastructure (if any) when the app stops. */
@ApplicationScoped
public class AppLifecycle {

    private static final Logger LOG = Logger.getLogger("dev.moratorium");
    /** Read by the embedded infrastructure's shutdown hook: it waits for the app before stopping the broker. */
    private static final String APP_RUNNING = "dev-moratorium-app-running";

    @Inject
    MoratoriumConfig config;

    @Inject
    Clock clock;

    @Inject
    VerificationKey verificationKey;

    @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092")
    String bootstrapServers;

    @ConfigProperty(name = "quarkus.http.host", defaultValue = "localhost")
    String httpHost;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int httpPort;

    void started(@Observes StartupEvent event) {
        System.setProperty(APP_RUNNING, "true");
        String base = "http://" + ("0.0.0.0".equals(httpHost) ? "localhost" : httpHost) + ":" + httpPort;
        StringBuilder banner = new StringBuilder("\n")
                .append("  Moratorium service ready\n")
                .append("  HTTP      ").append(base).append("  (dashboard ").append(base).append("/)\n")
                .append("  OpenAPI   ").append(base).append("/q/openapi  (Swagger UI ").append(base).append("/q/swagger-ui)\n")
                .append("  Kafka     ").append(bootstrapServers).append("\n")
                .append("  Clock     ").append(clock.instant()).append(config.clock().start().isPresent()
                        ? "  (moratorium.clock.start)" : "  (real time)").append("\n")
                .append("  Security  writes need role ").append(CallerPermissions.ADMIN).append(", reads ")
                .append(config.security().restrictReads() ? "need " + CallerPermissions.VIEWER + " or " + CallerPermissions.ADMIN
                        : "are open").append("; token key ")
                .append(verificationKey.configured() ? "configured" : "NOT configured (every write answers 401)")
                .append("\n");
        config.embedded().dataDirResolved().ifPresent(dir -> banner.append("  Embedded  Kafka + PostgreSQL, data in ")
                .append(dir).append(config.embedded().startedInMs().map(ms -> ", started in " + ms + " ms").orElse(""))
                .append("\n"));
        LOG.info(banner);
    }

    void stopping(@Observes @Priority(Integer.MAX_VALUE) ShutdownEvent event) {
        System.setProperty(APP_RUNNING, "false");
    }
}
