package dev.moratorium.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker (KRaft, combined broker and controller, one node) inside this JVM, for dev
 * mode and tests. Its data directory survives restarts: it is formatted only once.
 *
 * <p>By default its one client listener is PLAINTEXT on loopback. With a {@link ScramListener}
 * the clients' listener demands SCRAM-SHA-512 (over TLS if a keystore is given), as a production
 * cluster does; a PLAINTEXT listener on loopback stays for the broker's own use (inter-broker
 * traffic, topic creation) and for test tooling.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final String CONTROLLER = "CONTROLLER";
    private static final String SCRAM = "SCRAM-SHA-512";

    private static final String INTERNAL = "PLAINTEXT";

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String internalBootstrapServers;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, String internalBootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.internalBootstrapServers = internalBootstrapServers;
    }

    /**
     * @param port    the client port, 0 for any free one
     * @param dataDir where the log and metadata live; reused if already formatted
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDir) throws Exception {
        return start(port, dataDir, Optional.empty());
    }

    /**
     * @param scram when present, clients must authenticate with SCRAM-SHA-512 on {@code port}; the
     *              credentials are created when the storage is formatted, so use a fresh data directory
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDir, Optional<ScramListener> scram) throws Exception {
        return start(port, dataDir, scram, Map.of());
    }

    /**
     * @param overrides broker settings over the ones here: for a test that needs a broker as some
     *                  clusters run it (one that creates topics a client names, Kafka's default)
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDir, Optional<ScramListener> scram,
            Map<String, String> overrides) throws Exception {
        Files.createDirectories(dataDir);
        int clientPort = port == 0 ? Ports.free() : Ports.requireFree(port, "Kafka broker",
                "moratorium.embedded.kafka-port (environment MORATORIUM_EMBEDDED_KAFKA_PORT)");
        int internalPort = scram.isPresent() ? Ports.free() : clientPort;
        int controllerPort = controllerPort(dataDir);
        Map<String, String> props = new java.util.HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        props.put("controller.listener.names", CONTROLLER);
        props.put("inter.broker.listener.name", INTERNAL);
        String clients = INTERNAL + "://localhost:" + clientPort;
        if (scram.isPresent()) {
            ScramListener s = scram.get();
            String name = s.securityProtocol();
            clients = name + "://localhost:" + clientPort + "," + INTERNAL + "://localhost:" + internalPort;
            props.put("sasl.enabled.mechanisms", SCRAM);
            // The broker side of SCRAM needs a login module but no user of its own: users are in the metadata.
            props.put("listener.name." + name.toLowerCase(Locale.ROOT) + "." + SCRAM.toLowerCase(Locale.ROOT)
                    + ".sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            // Authorization on, as a production cluster has it: the SCRAM user may do what ACLs allow
            // and nothing else (the tests give it the prod overlay's KafkaUser ACLs); the broker
            // itself and tooling on the loopback PLAINTEXT listeners are ANONYMOUS, a super user.
            props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            props.put("super.users", "User:ANONYMOUS");
            s.tls().ifPresent(tls -> {
                props.put("ssl.keystore.location", tls.keystore().toAbsolutePath().toString());
                props.put("ssl.keystore.type", "PKCS12");
                props.put("ssl.keystore.password", tls.password());
                props.put("ssl.key.password", tls.password());
            });
        }
        props.put("listeners", clients + "," + CONTROLLER + "://localhost:" + controllerPort);
        props.put("advertised.listeners", clients);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,"
                + CONTROLLER + ":PLAINTEXT");
        props.put("log.dirs", dataDir.toAbsolutePath().toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("num.partitions", "1");
        // Records up to 1 MiB must reach the service so that it can reject them as too-large.
        props.put("message.max.bytes", String.valueOf(2 * 1024 * 1024));
        props.put("log.cleaner.backoff.ms", "1000");
        props.putAll(overrides);
        KafkaConfig config = new KafkaConfig(props, false);
        formatOnce(dataDir, scram);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, "localhost:" + clientPort,
                "localhost:" + internalPort);
        broker.awaitReady(Duration.ofSeconds(60));
        return broker;
    }

    /** The clients' listener: PLAINTEXT, or SCRAM-authenticated when started with a {@link ScramListener}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The loopback PLAINTEXT listener (the same as {@link #bootstrapServers()} without SCRAM): for tooling. */
    public String internalBootstrapServers() {
        return internalBootstrapServers;
    }

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public void createTopics(List<NewTopic> topics) throws InterruptedException, ExecutionException {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic topic : topics) {
                if (!existing.contains(topic.name())) {
                    missing.add(topic);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("the embedded broker did not create topics within 30 s", e);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the embedded broker did not list topics within 30 s", e);
        }
    }

    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers);
        return Admin.create(p);
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the embedded Kafka broker was not ready within " + timeout, e);
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    private static void formatOnce(Path dataDir, Optional<ScramListener> scram) throws Exception {
        if (Files.exists(dataDir.resolve("meta.properties"))) {
            return;
        }
        String dir = dataDir.toAbsolutePath().toString();
        Formatter formatter = new Formatter();
        // SCRAM credentials live in the cluster metadata; writing them at format time means they
        // exist before the listener accepts its first client.
        scram.ifPresent(s -> formatter.setScramArguments(List.of(
                SCRAM + "=[name=" + s.username() + ",password=" + s.password() + "]")));
        formatter
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(1)
                .setDirectories(List.of(dir))
                .setMetadataLogDirectory(dir)
                .setControllerListenerName(CONTROLLER)
                .setReleaseVersion(MetadataVersion.latestProduction())
                .run();
    }

    /** The controller port is kept with the data, so a restarted broker finds its quorum where it was. */
    private static int controllerPort(Path dataDir) throws IOException {
        Path file = dataDir.resolve("embedded-controller.port");
        if (Files.exists(file)) {
            int port = Integer.parseInt(Files.readString(file).strip());
            if (Ports.isFree(port)) {
                return port;
            }
        }
        int port = Ports.free();
        Files.writeString(file, String.valueOf(port));
        return port;
    }
}
