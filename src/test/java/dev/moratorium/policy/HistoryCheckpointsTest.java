package dev.moratorium.policy;

import static dev.moratorium.policy.PolicyFixtures.AMAZON_ID;
import static dev.moratorium.policy.PolicyFixtures.FROM;
import static dev.moratorium.policy.PolicyFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.HistoryCheckpoints.Checkpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A replay started at a checkpoint ends where the replay from the first event does, for any
 * instant, on histories with late events (an old time, applied later), grants and revocations
 * whose order the instant changes, and more events than checkpoints.
 */
class HistoryCheckpointsTest {

    private static final PolicyDecider DECIDER = new PolicyDecider(PolicyFixtures.defaultTime());

    /** Positions as the history rows' sequence gives them: increasing, with gaps. */
    private record Row(long position, RecordedEvent recorded) {
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void aReplayFromTheCheckpointEndsWhereTheWholeReplayEnds(long seed) {
        Random random = new Random(seed);
        List<Row> history = history(random, 1_200);
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 20, 16);
        history.forEach(row -> checkpoints.accept(row.position(), row.recorded()));
        assertThat(checkpoints.size()).isLessThanOrEqualTo(16).isGreaterThan(1);
        assertThat(checkpoints.events()).isEqualTo(1_200);
        Policy end = checkpoints.head().state().orElseThrow();
        assertThat(end.effectiveUntil()).as("the extensions were applied").isAfter(day("2021-06-20"));
        assertThat(end.exemptions()).as("so were grants").isNotEmpty();

        Instant first = history.get(0).recorded().event().meta().time();
        Instant last = history.get(history.size() - 1).recorded().event().meta().time();
        List<Instant> instants = new ArrayList<>(List.of(first.minusSeconds(1), first, last, last.plusSeconds(1),
                Instant.MIN, Instant.MAX));
        for (int i = 0; i < 60; i++) {
            instants.add(first.plusSeconds((long) (random.nextDouble() * Duration.between(first, last).getSeconds())));
        }
        // the checkpoints' own times, and a second either side
        for (Checkpoint c : checkpoints.points()) {
            instants.addAll(List.of(c.latestEventTime().minusSeconds(1), c.latestEventTime(), c.latestEventTime().plusSeconds(1)));
        }
        int fromACheckpoint = 0;
        for (Instant asOf : instants) {
            Optional<Policy> whole = AsKnownBy.replay(DECIDER, history.stream().map(Row::recorded).toList(), asOf);
            Checkpoint start = checkpoints.startFor(asOf);
            AsKnownBy.Replay replay = new AsKnownBy.Replay(DECIDER, asOf, start);
            history.stream().filter(row -> row.position() > start.position()).forEach(row -> replay.accept(row.recorded()));
            assertThat(replay.result()).as("as of %s, from position %s", asOf, start.position()).isEqualTo(whole);
            if (start != HistoryCheckpoints.START) {
                fromACheckpoint++;
            }
            if (instants.indexOf(asOf) % 5 != 0) {
                continue;
            }
            // marking and replaying in one pass (every fifth instant): the same answer and the same checkpoints
            HistoryCheckpoints marked = new HistoryCheckpoints(DECIDER, 20, 16);
            HistoryCheckpoints.ReplayWhileMarking oneRead = marked.replayWhileMarking(asOf);
            history.forEach(row -> oneRead.accept(row.position(), row.recorded()));
            assertThat(oneRead.result()).as("read once, as of %s", asOf).isEqualTo(whole);
            assertThat(marked.points()).isEqualTo(checkpoints.points());
        }
        assertThat(fromACheckpoint).as("instants that start past the first event").isGreaterThan(instants.size() / 4);
    }

    @Test
    void theSpacingDoublesSoTheCheckpointsStayBoundedAndEvenlySpread() {
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 10, 8);
        List<Row> history = history(new Random(11), 10_000);
        history.forEach(row -> checkpoints.accept(row.position(), row.recorded()));

        assertThat(checkpoints.size()).isBetween(4, 8);
        assertThat(checkpoints.head().position()).isEqualTo(history.get(history.size() - 1).position());
        // with times that mostly grow, an answer decides at most about two gaps' worth of events
        List<Checkpoint> points = checkpoints.points();
        long widestGap = 0;
        long previous = history.get(0).position();
        for (Checkpoint c : points) {
            widestGap = Math.max(widestGap, c.position() - previous);
            previous = c.position();
        }
        assertThat(widestGap).as("positions between checkpoints (10,000 events, 3 positions apart at most)")
                .isLessThanOrEqualTo(3L * 2 * 10_000 / 8 + 3);
    }

    @Test
    void everyEventKnownStartsAtTheHeadAndNoneKnownAtTheStart() {
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 2, 4);
        List<Row> history = history(new Random(3), 20);
        history.forEach(row -> checkpoints.accept(row.position(), row.recorded()));
        assertThat(checkpoints.startFor(Instant.MAX)).isSameAs(checkpoints.head());
        assertThat(checkpoints.startFor(FROM.minusSeconds(1))).isSameAs(HistoryCheckpoints.START);
        assertThat(new AsKnownBy.Replay(DECIDER, Instant.MAX, checkpoints.head()).result())
                .isEqualTo(AsKnownBy.replay(DECIDER, history.stream().map(Row::recorded).toList(), Instant.MAX));
    }

    @Test
    void positionsMustGrowAndAReplayCannotStartPastItsInstant() {
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 2, 4);
        List<Row> history = history(new Random(5), 3);
        checkpoints.accept(10, history.get(0).recorded());
        assertThatThrownBy(() -> checkpoints.accept(10, history.get(1).recorded()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("position 10 is not after 10");
        Checkpoint head = checkpoints.head();
        assertThatThrownBy(() -> new AsKnownBy.Replay(DECIDER, head.latestEventTime().minusNanos(1), head))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HistoryCheckpoints(DECIDER, 0, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A producer that grants the same 60 organizations again and again, each time with a new purpose
     * of 4,000 characters outside Latin-1: every checkpoint would hold 480 KB of text of its own. Past
     * the byte bound they are thinned (not to fewer than two), the estimate is no less than the
     * text they hold, and an answer from them is still the whole replay's.
     */
    @Test
    void checkpointsOfPurposesGrantedAgainAndAgainAreThinnedToTheirBytes() {
        long maxBytes = 2L * 1024 * 1024;
        List<Row> history = regrants(12_000, 200, 4_000);
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 100, 64, maxBytes);
        HistoryCheckpoints unbounded = new HistoryCheckpoints(DECIDER, 100, 64);
        history.forEach(row -> {
            checkpoints.accept(row.position(), row.recorded());
            unbounded.accept(row.position(), row.recorded());
        });

        assertThat(unbounded.size()).as("by count alone").isGreaterThan(32);
        assertThat(unbounded.bytes()).as("by count alone, 480 KB of text each").isGreaterThan(10 * maxBytes);
        assertThat(checkpoints.size()).as("thinned by their bytes").isBetween(2, 5);
        assertThat(checkpoints.bytes()).isLessThanOrEqualTo(maxBytes).isGreaterThanOrEqualTo(heldText(checkpoints));
        assertThat(unbounded.bytes()).isGreaterThanOrEqualTo(heldText(unbounded));

        Instant first = history.get(0).recorded().event().meta().time();
        for (int minutes : List.of(-1, 0, 1_999, 5_000, 9_001, 11_999, 20_000)) {
            Instant asOf = first.plusSeconds(60L * minutes);
            Optional<Policy> whole = AsKnownBy.replay(DECIDER, history.stream().map(Row::recorded).toList(), asOf);
            Checkpoint start = checkpoints.startFor(asOf);
            AsKnownBy.Replay replay = new AsKnownBy.Replay(DECIDER, asOf, start);
            history.stream().filter(row -> row.position() > start.position()).forEach(row -> replay.accept(row.recorded()));
            assertThat(replay.result()).as("as of %s", asOf).isEqualTo(whole);
        }
    }

    /**
     * Exemptions granted once and left alone while the policy is extended: the checkpoints share them,
     * so each costs its list, not its exemptions' text again, and none is dropped for its bytes.
     */
    @Test
    void checkpointsThatShareTheirExemptionsCostTheirListsOnly() {
        List<Row> history = regrants(12_000, 12_000, 4_000);
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 100, 64, 2L * 1024 * 1024);
        history.forEach(row -> checkpoints.accept(row.position(), row.recorded()));
        assertThat(checkpoints.size()).as("thinned by count only").isGreaterThan(32);
        long text = heldText(checkpoints);
        assertThat(text).as("the purposes, once").isBetween(60L * 8_000, 61L * 8_100);
        assertThat(checkpoints.bytes()).isGreaterThanOrEqualTo(text)
                .isLessThan(text + 60L * (HistoryCheckpoints.EXEMPTION_BYTES + 2 * HistoryCheckpoints.STRING_BYTES)
                        + checkpoints.size() * (HistoryCheckpoints.POINT_BYTES + 60L * 8 + 1));
    }

    /** Two bytes a character of every distinct purpose and organization string the checkpoints hold. */
    private static long heldText(HistoryCheckpoints checkpoints) {
        Set<String> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Checkpoint c : checkpoints.points()) {
            for (Exemption e : c.state().map(Policy::exemptions).orElse(List.of())) {
                for (String text : new String[] {e.organization(), e.purpose()}) {
                    if (text != null && seen.add(text)) {
                        bytes += 2L * text.length();
                    }
                }
            }
        }
        return bytes;
    }

    /**
     * An announcement, then per {@code window} events: grants of "Org 0" to "Org 59" with a new
     * purpose of {@code chars} characters (one character repeated, a new one per window), and
     * extensions for the rest; a minute apart. A window as long as the history grants them once.
     */
    private static List<Row> regrants(int events, int window, int chars) {
        List<Row> rows = new ArrayList<>();
        Instant time = FROM;
        Instant until = day("2030-01-01");
        rows.add(new Row(1, new RecordedEvent(PolicyFixtures.announcement("r-0", AMAZON_ID, List.of("police"),
                FROM, until, List.of()), time)));
        for (int i = 1; i < events; i++) {
            time = time.plusSeconds(60);
            PolicyEvent event;
            if (i % window <= 60 && i % window > 0) {
                String purpose = String.valueOf((char) (0x4e00 + i / window)).repeat(chars);
                event = PolicyFixtures.grant("r-" + i, time, "Org " + (i % window - 1), purpose);
            } else {
                until = until.plusSeconds(60);
                event = PolicyFixtures.extension("r-" + i, time, until);
            }
            rows.add(new Row(i + 1, new RecordedEvent(event, time)));
        }
        return rows;
    }

    /**
     * An announcement, then extensions (each to a later end), grants and revocations of a few
     * organizations; each event applied a minute after the one before, its own time mostly a
     * minute after the one before too, but one in ten is late: its time up to a day earlier.
     */
    private static List<Row> history(Random random, int events) {
        List<Row> rows = new ArrayList<>();
        Instant applied = FROM;
        Instant time = FROM;
        Instant until = day("2021-06-10");
        long position = 100;
        rows.add(new Row(position, new RecordedEvent(PolicyFixtures.announcement("e-0", AMAZON_ID, List.of("police"),
                FROM, until, List.of()), applied)));
        List<String> held = new ArrayList<>();
        for (int i = 1; i < events; i++) {
            applied = applied.plusSeconds(60);
            time = time.plusSeconds(60);
            Instant eventTime = random.nextInt(10) == 0 ? time.minusSeconds(random.nextInt(86_400)) : time;
            PolicyEvent event;
            int kind = random.nextInt(3);
            if (kind == 0) {
                until = until.plusSeconds(3_600);
                event = PolicyFixtures.extension("e-" + i, eventTime, until);
            } else if (kind == 1 || held.isEmpty()) {
                String organization = "Org " + random.nextInt(12);
                event = PolicyFixtures.grant("e-" + i, eventTime, organization, "purpose " + i);
                if (!held.contains(organization)) {
                    held.add(organization);
                }
            } else {
                String organization = held.remove(random.nextInt(held.size()));
                event = PolicyFixtures.revoke("e-" + i, eventTime, organization);
            }
            position += 1 + random.nextInt(3);
            rows.add(new Row(position, new RecordedEvent(event, applied)));
        }
        return rows;
    }
}
