package dev.moratorium.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code in} list of the service's queries goes through {@link InLists}: a Panache
 * {@code "x in ?1"} or a {@code setParameter} given the collection makes Hibernate build and catch an
 * exception on each call (see InLists). The rule is read from the sources, so a new query that
 * binds a list the other way fails here rather than in a profile.
 */
class InListQueriesTest {

    /** A positional Panache parameter after {@code in}, or a named one bound by setParameter. */
    private static final Pattern POSITIONAL_IN = Pattern.compile("(?i)\\bin \\?\\d");
    private static final Pattern NAMED_IN = Pattern.compile("(?i)\\bin :(\\w+)");

    @Test
    void inListsAreBoundWithSetParameterList() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            // InLists itself names the form it replaces, in its documentation
            for (Path file : files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("InLists.java")).toList()) {
                String source = Files.readString(file);
                if (POSITIONAL_IN.matcher(source).find()) {
                    offenders.add(file + ": a Panache in ?N");
                }
                Matcher named = NAMED_IN.matcher(source);
                while (named.find()) {
                    if (source.contains("setParameter(\"" + named.group(1) + "\"")) {
                        offenders.add(file + ": in :" + named.group(1) + " bound with setParameter");
                    }
                }
            }
        }
        assertThat(offenders).as("use InLists.select for in-lists").isEmpty();
    }
}
