package dev.moratorium.testing;

import java.util.HashMap;
import java.util.Map;

/** The production settings the packaged service needs, pointed at an embedded broker and database. */
public final class PackagedServiceEnv {

    private PackagedServiceEnv() {
    }

    public static Map<String, String> of(String bootstrapServers, String jdbcUrl, int httpPort,
            Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl);
        env.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
        env.put("QUARKUS_DATASOURCE_PASSWORD", "unused-trust-auth"); // embedded PostgreSQL trusts loopback
        env.put("QUARKUS_HTTP_PORT", String.valueOf(httpPort));
        return env;
    }
}
