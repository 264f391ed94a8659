package dev.moratorium.app;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The packaged service's entry point. Before anything starts it checks that production has been
 * told where Kafka and PostgreSQL are: without that it would quietly try localhost and fail later
 * with a stack trace; instead it stops at once with a sentence naming the settings.
 */
@QuarkusMain
public final class Main {

    private static final List<String[]> REQUIRED = List.of(
            new String[] {"KAFKA_BOOTSTRAP_SERVERS", "kafka.bootstrap.servers"},
            new String[] {"QUARKUS_DATASOURCE_JDBC_URL", "quarkus.datasource.jdbc.url"},
            new String[] {"QUARKUS_DATASOURCE_USERNAME", "quarkus.datasource.username"},
            new String[] {"QUARKUS_DATASOURCE_PASSWORD", "quarkus.datasource.password"});

    /** Set by the embedded infrastructure once it runs (see dev.moratorium.embedded). */
    private static final String EMBEDDED_RUNNING = "dev-moratorium-embedded-config";

    public static void main(String... args) {
        List<String> missing = missingProductionSettings();
        if (!missing.isEmpty()) {
            System.err.println("ERROR: the moratorium service needs " + String.join(", ", missing)
                    + " (environment variables, or the matching -D system properties) to reach Kafka and"
                    + " PostgreSQL; set them and start again.");
            System.exit(2);
        }
        Quarkus.run(args);
    }

    static List<String> missingProductionSettings() {
        if (System.getProperty(EMBEDDED_RUNNING) != null) {
            return List.of(); // dev mode: the embedded Kafka and PostgreSQL already run and are configured
        }
        String profile = setting("QUARKUS_PROFILE", "quarkus.profile");
        if (profile != null && !profile.toLowerCase(Locale.ROOT).contains("prod")) {
            return List.of(); // an explicit non-production profile brings its own settings
        }
        List<String> missing = new ArrayList<>();
        for (String[] names : REQUIRED) {
            if (setting(names[0], names[1]) == null) {
                missing.add(names[0]);
            }
        }
        return missing;
    }

    private static String setting(String environment, String property) {
        String value = System.getProperty(property);
        if (value == null) {
            value = System.getenv(environment);
        }
        return value == null || value.isBlank() ? null : value;
    }
}
