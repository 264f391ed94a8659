package dev.moratorium.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark JVM stopped with SIGTERM leaves nothing running: a real JVM ({@link Fixture}) with a
 * child that stops on SIGTERM and one that ignores it, and a resource that records, when closed,
 * how many of its children were still alive.
 */
class OnExitTest {

    @TempDir
    Path dir;

    @Test
    void aBenchmarkStoppedBySigtermEndsItsChildrenThenClosesWhatItOpened() throws Exception {
        Path marker = dir.resolve("closed");
        String classes = Path.of(OnExit.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Process fixture = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Dbench.on-exit.grace-ms=1000", "-cp", classes, Fixture.class.getName(), marker.toString())
                .redirectErrorStream(true).start();
        List<ProcessHandle> children = List.of();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(fixture.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");
            children = fixture.toHandle().descendants().toList();
            assertThat(children).hasSizeGreaterThanOrEqualTo(2);

            fixture.destroy(); // SIGTERM

            assertThat(fixture.waitFor(30, TimeUnit.SECONDS)).as("the fixture exits").isTrue();
            for (ProcessHandle child : children) {
                assertThat(child.onExit().get(5, TimeUnit.SECONDS).isAlive()).as("child " + child.pid()).isFalse();
            }
            assertThat(Files.readString(marker)).as("closed after the children ended").isEqualTo("children alive: 0");
        } finally {
            fixture.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly); // orphans by now, if the fixture failed
        }
    }

    /** A stand-in for a benchmark: children, an open resource, then waiting for its signal. */
    static final class Fixture {

        public static void main(String[] args) throws Exception {
            Path marker = Path.of(args[0]);
            new ProcessBuilder("sleep", "600").start();
            // ignores SIGTERM, as a stuck child would: ended with SIGKILL after the grace
            new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 600 & wait").start();
            OnExit.close(() -> Files.writeString(marker,
                    "children alive: " + ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count()));
            while (ProcessHandle.current().descendants().count() < 3) {
                Thread.sleep(10);
            }
            System.out.println("ready");
            System.out.flush();
            Thread.sleep(600_000);
        }
    }
}
