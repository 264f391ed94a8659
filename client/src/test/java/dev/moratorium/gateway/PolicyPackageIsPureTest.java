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
 * classpath, so compiling alone would not catch an import of theirs: this does. The same for the two
 * files of dev.moratorium.wire compiled in with it.
 */
class PolicyPackageIsPureTest {

    @Test
    void thePolicyPackageImportsOnlyTheJdkAndItself() throws IOException {
        Path policy = Path.of("../src/main/java/dev/moratorium/policy");
        assertThat(policy).isDirectory();
        List<Path> sources;
        try (Stream<Path> files = Files.list(policy)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        assertThat(foreignImports(sources, "dev\\.moratorium\\.policy\\.")).isEmpty();
    }

    /** The service's reading of times, compiled in too (see pom.xml): the JDK only. */
    @Test
    void theTimeReaderImportsOnlyTheJdk() throws IOException {
        Path wire = Path.of("../src/main/java/dev/moratorium/wire");
        assertThat(foreignImports(List.of(wire.resolve("EventTimes.java"), wire.resolve("Sanitize.java")),
                "dev\\.moratorium\\.wire\\.(EventTimes|Sanitize)\\b")).isEmpty();
    }

    private static List<String> foreignImports(List<Path> sources, String ownPackage) throws IOException {
        List<String> foreign = new java.util.ArrayList<>();
        for (Path f : sources) {
            Files.readAllLines(f).stream().map(String::strip)
                    .filter(l -> l.startsWith("import "))
                    .filter(l -> !l.matches("import (static )?(java\\.|" + ownPackage + ").*"))
                    .forEach(l -> foreign.add(f.getFileName() + ": " + l));
        }
        return foreign;
    }
}
