package dev.moratorium.testing;

import dev.moratorium.embedded.EmbeddedInfrastructure;
import dev.moratorium.embedded.ScramListener;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Starts a real Kafka broker (KRaft) and a real PostgreSQL inside the test JVM — the same classes
 * dev mode uses — on free ports and in a fresh directory, and points the service at them; and gives
 * the service the public half of a key pair generated here, so tests can sign bearer tokens.
 *
 * <p>Init argument {@code kafka-security=SASL_SSL} (a test profile's own resource) makes the
 * broker's client listener demand SCRAM-SHA-512 over TLS, and configures the service exactly as
 * production is configured, through the names of the environment variables
 * ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_JAAS_CONFIG}, ...), with the broker enforcing
 * the prod overlay's ACLs for its user ({@link KafkaUserAcls}); {@code kafka-password=wrong}
 * gives the service a wrong password; {@code jwt-key=none} gives it no token verification key. Test tooling ({@link TestKafka}) uses the broker's loopback
 * PLAINTEXT listener, so what the service does is the only thing under test.
 */
public class EmbeddedInfrastructureResource implements QuarkusTestResourceLifecycleManager {

    public static final String KAFKA_SECURITY = "kafka-security";
    public static final String KAFKA_PASSWORD = "kafka-password";
    public static final String WRONG = "wrong";
    /** {@code jwt-key=none}: the service gets no verification key, as a production without MP_JWT_VERIFY_PUBLICKEY. */
    public static final String JWT_KEY = "jwt-key";
    static final String SCRAM_USER = "moratorium";

    private EmbeddedInfrastructure infrastructure;
    private Path dataDir;
    private Map<String, String> args = Map.of();

    @Override
    public void init(Map<String, String> initArgs) {
        args = initArgs == null ? Map.of() : Map.copyOf(initArgs);
    }

    @Override
    public Map<String, String> start() {
        try {
            dataDir = ScratchDirectories.create("moratorium-test-");
            Map<String, String> security = new HashMap<>();
            Optional<ScramListener> scram = Optional.empty();
            if ("SASL_SSL".equals(args.get(KAFKA_SECURITY))) {
                SelfSignedTls tls = SelfSignedTls.create(dataDir.resolve("tls"));
                String password = UUID.randomUUID().toString().replace("-", "");
                scram = Optional.of(new ScramListener(SCRAM_USER, password,
                        Optional.of(new ScramListener.Tls(tls.keystore(), tls.password()))));
                String clientPassword = WRONG.equals(args.get(KAFKA_PASSWORD)) ? "not-" + password : password;
                // Exactly the environment of a production Deployment (README, Security).
                security.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
                security.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
                security.put("KAFKA_SASL_JAAS_CONFIG", ScramListener.jaasConfig(SCRAM_USER, clientPassword));
                security.put("KAFKA_SSL_TRUSTSTORE_LOCATION", tls.truststore().toString());
                security.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
                security.put("KAFKA_SSL_TRUSTSTORE_PASSWORD", tls.password());
            }
            infrastructure = EmbeddedInfrastructure.start(0, 0, dataDir, 3, scram);
            if (scram.isPresent()) {
                // before the service starts: its consumer, producers and watch get no more than production's
                try (Admin admin = infrastructure.kafka().admin()) {
                    admin.createAcls(KafkaUserAcls.forUser(SCRAM_USER)).all().get(30, TimeUnit.SECONDS);
                }
            }
            Map<String, String> config = new HashMap<>(infrastructure.config());
            config.putAll(security);
            TestKafka.bootstrapServers = infrastructure.kafka().internalBootstrapServers();
            // A key pair per started application; the service gets the public half only.
            KeyPair keys = TestTokens.generateKeyPair();
            TestTokens.keys = keys;
            if (!"none".equals(args.get(JWT_KEY))) {
                config.put("mp.jwt.verify.publickey", TestTokens.publicKeySetting(keys));
            }
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
            ScratchDirectories.deleteQuietly(dataDir);
        }
    }

}
