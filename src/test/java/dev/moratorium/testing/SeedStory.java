package dev.moratorium.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The seed story's records ({@code key|value} lines), as a producer would send them. */
public final class SeedStory {

    public static final String AMAZON = "amazon-rekognition-police-2020";
    public static final String IBM = "ibm-face-recognition-withdrawal";

    private SeedStory() {
    }

    public record Line(String key, String value) {
    }

    public static List<Line> lines() {
        try (InputStream in = SeedStory.class.getResourceAsStream("/seed-story.kcat")) {
            List<Line> lines = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
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
