package dev.moratorium.embedded;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Starts the embedded PostgreSQL and Kafka broker when {@code moratorium.embedded.enabled} is true
 * (the dev profile) and points the standard Quarkus settings at them.
 *
 * <p>Why a config source: Flyway's migrate-at-start and Hibernate's start-up checks run before any
 * {@code StartupEvent} observer, so the database must exist by the time configuration is read. A
 * config source is the one place Quarkus reads before all of that, and it is also where the
 * connection settings belong. The actual start lives in {@link EmbeddedDevInfrastructure}, which
 * this class only loads when enabled, so the production build (without the optional broker and
 * database jars) never touches them.
 */
public final class EmbeddedConfigSourceFactory implements ConfigSourceFactory {

    static final String ENABLED = "moratorium.embedded.enabled";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue enabled = context.getValue(ENABLED);
        if (enabled == null || enabled.getValue() == null || !Boolean.parseBoolean(enabled.getValue().strip())) {
            return List.of();
        }
        Map<String, String> config = EmbeddedDevInfrastructure.startOnce(name -> {
            ConfigValue value = context.getValue(name);
            return value == null ? null : value.getValue();
        });
        // Above application.properties (250), below environment variables (300) and system properties (400).
        return List.of(new PropertiesConfigSource(config, "moratorium-embedded-infrastructure", 275));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(100);
    }
}
