package dev.moratorium.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The client compiles the service's dev.moratorium.policy sources as they are; that works only
 * while the package imports nothing but the JDK and itself. Jackson and Kafka are on the client's
 * classpath, so compiling alone would not catch an import of theirs: this does.
 */
class PolicyPackageIsPureTest {

    @Test
    void thePolicyPackageImportsOnlyTheJdkAndItself() throws IOException {
        Path policy = Path.of("../src/main/java/dev/moratorium/policy");
        assertThat(policy).isDirectory();
        List<String> foreign;
        try (Stream<Path> files = Files.list(policy)) {
            foreign = files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream().map(String::strip)
                            .filter(l -> l.startsWith("import "))
                            .filter(l -> !l.matches("import (static )?(java\\.|dev\\.moratorium\\.policy\\.).*"))
                            .map(l -> f.getFileName() + ": " + l);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertThat(foreign).isEmpty();
    }
}
