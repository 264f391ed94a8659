package dev.moratorium.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The seed story's records ({@code key|value} lines, a copy of ../shared/scenarios), as a producer would send them. */
public final class SeedStory {

    public static final String AMAZON = "amazon-rekognition-police-2020";
    public static final String IBM = "ibm-face-recognition-withdrawal";
    /** The file the README's kcat walkthrough produces (tests run in the project directory). */
    static final Path FILE = Path.of("examples/seed-story.kcat");

    private SeedStory() {
    }

    public record Line(String key, String value) {
    }

    public static List<Line> lines() {
        try {
            List<Line> lines = new ArrayList<>();
            for (String line : Files.readAllLines(FILE, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    int bar = line.indexOf('|');
                    lines.add(new Line(line.substring(0, bar), line.substring(bar + 1)));
                }
            }
            return lines;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Produces the seed story to {@code policy-changes} in structured mode. */
    public static void produce() {
        for (Line line : lines()) {
            TestKafka.sendStructured(line.key(), line.value());
        }
    }
}
