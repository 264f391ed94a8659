package dev.moratorium.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JVM options the pod runs with, read from the Kubernetes deployment: its
 * {@code GC_CONTAINER_OPTIONS} (the image's run-java.sh puts it in place of its default collector)
 * and {@code JAVA_OPTS_APPEND}, less {@code -Dquarkus.http.host} (a local service stays on
 * localhost). Read, not copied, so that what the benchmarks and the heap-bound tests measure is
 * what is deployed.
 */
public final class DeploymentJvmOptions {

    public static final Path DEPLOYMENT = Path.of("k8s/base/deployment.yaml");
    private static final String ARCHIVE_OPTION = "-XX:SharedArchiveFile=";

    private DeploymentJvmOptions() {
    }

    /**
     * The options, with the image's start-up archive replaced by {@code localArchive} (one made
     * by this JDK), or left out when that is null.
     */
    public static List<String> withArchive(Path localArchive) {
        try {
            String yaml = Files.readString(DEPLOYMENT);
            List<String> opts = new ArrayList<>();
            for (String name : List.of("GC_CONTAINER_OPTIONS", "JAVA_OPTS_APPEND")) {
                Matcher m = Pattern.compile("- name: " + name + "\\s*\\n\\s*value: \"([^\"]*)\"").matcher(yaml);
                if (!m.find()) {
                    throw new IllegalStateException(name + " is not set in " + DEPLOYMENT);
                }
                for (String o : m.group(1).trim().split("\\s+")) {
                    if (o.startsWith(ARCHIVE_OPTION)) {
                        if (localArchive != null) {
                            opts.add(ARCHIVE_OPTION + localArchive);
                        }
                    } else if (!o.isEmpty() && !o.startsWith("-Dquarkus.http.host=")) {
                        opts.add(o);
                    }
                }
            }
            return opts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
