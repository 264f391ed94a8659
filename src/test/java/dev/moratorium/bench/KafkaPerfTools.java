package dev.moratorium.bench;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's own {@code kafka-producer-perf-test} and {@code kafka-consumer-perf-test}
 * ({@code org.apache.kafka.tools.ProducerPerformance} and {@code ConsumerPerformance} from
 * kafka-tools, the broker's version) against the benchmark's broker: what the broker and the
 * clients alone do on this machine, an extra baseline beside the passthrough. Each runs as its own
 * JVM (the tools call {@code Exit.exit} on errors, and their own JIT warm-up belongs to them).
 */
final class KafkaPerfTools {

    static final String TOPIC = "perf-test";

    private KafkaPerfTools() {
    }

    /**
     * Produces {@code records} records of {@code recordSize} bytes to {@link #TOPIC} at full speed
     * with the relay's producer settings (acks=all, idempotent, linger.ms=2), then consumes them
     * back; records/s of each.
     */
    static Json run(String bootstrap, int records, int recordSize) throws Exception {
        Json out = new Json().put("records", records).put("record_size", recordSize);
        String produced = tool("org.apache.kafka.tools.ProducerPerformance", "--topic", TOPIC, "--num-records",
                String.valueOf(records), "--record-size", String.valueOf(recordSize), "--throughput", "-1",
                "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all", "linger.ms=2",
                "enable.idempotence=true");
        Matcher m = Pattern.compile("(?m)^" + records + " records sent, ([\\d.]+) records/sec").matcher(produced);
        if (!m.find()) {
            throw new IllegalStateException("kafka-producer-perf-test said:\n" + produced);
        }
        out.put("producer_records_per_s", Json.round(Double.parseDouble(m.group(1)), 0));
        String consumed = tool("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrap,
                "--topic", TOPIC, "--messages", String.valueOf(records), "--timeout", "60000");
        // a header line of comma-separated names, then (among any log lines) one line of values
        String[] lines = consumed.lines().filter(l -> !l.isBlank()).toArray(String[]::new);
        String[] names = null;
        for (String line : lines) {
            if (line.startsWith("start.time")) {
                names = line.split(",\\s*");
            } else if (names != null && line.matches("^\\d{4}-\\d\\d-\\d\\d .*")) {
                String[] values = line.split(",\\s*");
                for (int k = 0; k < names.length && k < values.length; k++) {
                    if (names[k].equals("nMsg.sec")) {
                        out.put("consumer_records_per_s", Json.round(Double.parseDouble(values[k]), 0));
                    } else if (names[k].equals("fetch.nMsg.sec")) {
                        out.put("consumer_fetch_records_per_s", Json.round(Double.parseDouble(values[k]), 0));
                    }
                }
            }
        }
        if (out.get("consumer_records_per_s") == null) {
            throw new IllegalStateException("kafka-consumer-perf-test said:\n" + consumed);
        }
        return out;
    }

    private static String tool(String mainClass, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "-Xmx512m",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(mainClass + " exited with " + p.exitValue() + ":\n" + text);
        }
        return text;
    }
}
