package dev.moratorium.reliability;

import static dev.moratorium.reliability.RunSettings.CATCH_UP;
import static dev.moratorium.reliability.RunSettings.EVENTS;
import static dev.moratorium.reliability.RunSettings.POLICIES;
import static dev.moratorium.reliability.RunSettings.READY;
import static dev.moratorium.reliability.RunSettings.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The database restored from a backup loses nothing that came after the backup. The group's offsets
 * live in Kafka, apart from the database, and a restore does not take them back: the service resumed
 * at them, and every policy change between the backup and the restore was skipped for good (found by
 * this test: the second half of the stream missing from the state). It now resumes where the
 * database's own records of each partition end ({@code store.ReadPositionRows}), reads that half
 * again and applies it, and the state, the history and the notifications are what the whole stream
 * makes, each notification under the id it was first published with. Then a database made anew
 * under the same group rebuilds the whole stream from the topic.
 */
class DatabaseRestoreIT {

    @Test
    void aDatabaseRestoredFromABackupAppliesAgainWhatCameAfterTheBackupAndOneMadeAnewRebuildsFromTheTopic()
            throws Exception {
        Workload w = Workload.generate(Math.min(EVENTS, 2_000), Math.min(POLICIES, 100), SEED + 7, "restore");
        List<Workload.Rec> beforeBackup = w.records.subList(0, w.records.size() / 2);
        try (Harness h = new Harness(3)) {
            ServiceProcess service = h.service("restore");
            service.start();
            service.awaitReady(READY);
            h.produce(beforeBackup);
            h.awaitStored(applied(beforeBackup), rejected(beforeBackup), CATCH_UP, service);
            service.terminate(Duration.ofSeconds(20));

            // the backup: the database's files, taken while it is stopped
            h.postgres.close();
            Path data = h.dir.resolve("postgres");
            Path backup = h.dir.resolve("postgres-backup");
            copy(data, backup);
            h.startPostgres();

            service.start();
            service.awaitReady(READY);
            h.produce(w.records.subList(beforeBackup.size(), w.records.size()));
            h.awaitCaughtUp(w, CATCH_UP, service);
            service.terminate(Duration.ofSeconds(20));

            // the restore: the files as they were at the backup; Kafka keeps the group's offsets of now
            h.postgres.close();
            delete(data);
            copy(backup, data);
            h.startPostgres();
            assertThat(h.appliedCount()).as("events applied in the restored database").isEqualTo(applied(beforeBackup));

            service.start();
            service.awaitReady(READY);
            h.awaitCaughtUp(w, CATCH_UP, service);
            String figures = h.verify(w, List.of(service));
            List<String> resumed = service.logLines("INFO").stream().filter(l -> l.contains("resumes at offset")).toList();
            System.out.printf("reliability database restore (seed %d): %d of %d records sent before the backup; after"
                    + " the restore %d partitions resumed where the database's records end; %s%n", SEED,
                    beforeBackup.size(), w.records.size(), resumed.size(), figures);
            assertThat(resumed).as("partitions that resumed before the group's offsets").isNotEmpty();
            assertThat(service.logLines("ERROR")).as("ERROR lines").isEmpty();
            service.terminate(Duration.ofSeconds(20));

            // A database made anew (empty) under the same group, which has read the whole topic: it has no
            // position for any partition and held nothing before positions were kept, so each partition
            // is read from its first record. Before, it resumed at the group's offsets and stayed empty.
            // (In the same harness as the restore: a broker, a database and a service start fewer.)
            h.postgres.close();
            delete(data);
            h.startPostgres();
            service.start();
            service.awaitReady(READY);
            h.awaitCaughtUp(w, CATCH_UP, service);
            figures = h.verify(w, List.of(service));
            System.out.printf("reliability database made anew (seed %d): rebuilt from the topic; %s%n", SEED, figures);
            assertThat(service.logLines("ERROR")).as("ERROR lines").isEmpty();
            service.terminate(Duration.ofSeconds(20));
        }
    }

    private static long applied(List<Workload.Rec> records) {
        return records.stream().filter(r -> r.expectation().equals("applied")).count();
    }

    private static long rejected(List<Workload.Rec> records) {
        return records.stream().filter(r -> r.expectation().startsWith("rejected:")).count();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            paths.forEach(p -> {
                try {
                    Files.copy(p, to.resolve(from.relativize(p).toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
