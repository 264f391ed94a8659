package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AsKnownBy.RecordedEvent;
import dev.moratorium.policy.EventMeta;
import dev.moratorium.policy.HistoryCheckpoints;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import dev.moratorium.policy.PolicyEvent.MoratoriumAnnounced;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.policy.TimeDrivenChanges;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What is held for as-of answers, without a database: one budget shared by kept histories,
 * remembered checkpoints and reads in progress; room made oldest kept first, sparing once one that
 * answered; checkpoints dropped only for other checkpoints, down to half the budget.
 */
class AsOfMemoryTest {

    private static final Instant FROM = Instant.parse("2020-06-10T00:00:00Z");
    private static final PolicyDecider DECIDER = new PolicyDecider(new TimeDrivenChanges(List.of()));

    private long budget = 1_000;
    private final AsOfMemory memory = new AsOfMemory(() -> budget, 100, 64);

    @Test
    void aReservationThatDoesNotFitReservesNothing() {
        assertThat(memory.reserve(600)).isTrue();
        assertThat(memory.reserve(401)).isFalse();
        assertThat(memory.held().reading()).isEqualTo(600);
        assertThat(memory.reserve(400)).as("exactly the budget").isTrue();
        memory.hold(-1_000);
        assertThat(memory.held().total()).isZero();
    }

    @Test
    void aReadThatDoesNotFitDropsTheHistoriesKeptLongestNotAll() {
        keepAlone("a", 300);
        keepAlone("b", 300);
        keepAlone("c", 300);
        assertThat(memory.reserve(250)).isTrue();
        assertThat(kept()).containsExactly("b", "c");
        assertThat(memory.held()).isEqualTo(new PoliciesAsKnown.Held(600, 0, 250));
    }

    @Test
    void aHistoryThatAnsweredSinceItWasKeptIsSparedOnce() {
        keepAlone("a", 300);
        keepAlone("b", 300);
        keepAlone("c", 300);
        memory.kept("a").answered = true;
        assertThat(memory.reserve(250)).isTrue();
        assertThat(kept()).as("a spared, b dropped in its place").containsExactly("a", "c");
        assertThat(memory.reserve(300)).isTrue();
        assertThat(kept()).as("c, then a, which has not answered since it was spared").containsExactly("a");
        assertThat(memory.reserve(300)).isTrue();
        assertThat(kept()).isEmpty();
    }

    @Test
    void aReservationLargerThanTheBudgetDropsEveryKeptHistoryAndFails() {
        keepAlone("a", 300);
        assertThat(memory.reserve(1_001)).isFalse();
        assertThat(kept()).isEmpty();
        assertThat(memory.held().total()).isZero();
    }

    @Test
    void aProductReadAgainReplacesItsHistoriesAndTheirBytes() {
        keepAlone("a", 300);
        memory.reserve(200);
        memory.keep(List.of(history("a", 200)), 200, 200);
        assertThat(memory.held()).isEqualTo(new PoliciesAsKnown.Held(200, 0, 0));
        keepAlone("b", 700);
        keepAlone("c", 100);
        assertThat(kept()).as("the replaced history left nothing to drop: a, b and c fit").containsExactly("a", "b", "c");
    }

    @Test
    void keptHistoriesAreBoundedByCountToo() {
        AsOfMemory few = new AsOfMemory(() -> budget, 2, 64);
        for (String id : List.of("a", "b", "c")) {
            few.reserve(10);
            few.keep(List.of(history(id, 10)), 10, 10);
        }
        assertThat(few.kept("a")).isNull();
        assertThat(few.kept("b")).isNotNull();
        assertThat(few.kept("c")).isNotNull();
        assertThat(few.held().kept()).isEqualTo(20);
    }

    @Test
    void rememberedCheckpointsTakeOverWhatTheReadHeldForThem() {
        HistoryCheckpoints checkpoints = checkpointsOfOneAnnouncement(3);
        budget = 10 * checkpoints.bytesWithHead();
        memory.reserve(checkpoints.bytes());
        memory.remember("p", checkpoints, checkpoints.bytes());
        assertThat(memory.held()).isEqualTo(new PoliciesAsKnown.Held(0, checkpoints.bytesWithHead(), 0));
        memory.remember("p", checkpoints, 0);
        assertThat(memory.held().checkpointed()).as("remembered again: counted once").isEqualTo(checkpoints.bytesWithHead());
        assertThat(memory.remembered("p").checkpoints).isSameAs(checkpoints);
    }

    @Test
    void rememberedCheckpointsHoldAtMostHalfTheBudgetAndAreNotDroppedForReads() {
        HistoryCheckpoints first = checkpointsOfOneAnnouncement(20);
        HistoryCheckpoints second = checkpointsOfOneAnnouncement(20);
        long each = first.bytesWithHead();
        budget = 3 * each;
        memory.remember("p1", first, 0);
        memory.remember("p2", second, 0);
        assertThat(memory.held().checkpointed()).as("two would be more than half").isEqualTo(each);
        String left = memory.remembered("p1") != null ? "p1" : "p2";

        assertThat(memory.reserve(budget - each + 1)).as("a read does not take them").isFalse();
        assertThat(memory.remembered(left)).isNotNull();
        keepAlone("a", each);
        assertThat(memory.reserve(each + 1)).as("it takes kept histories").isTrue();
        assertThat(memory.kept("a")).isNull();
        assertThat(memory.remembered(left)).isNotNull();
    }

    @Test
    void rememberedPoliciesAreBoundedByCount() {
        AsOfMemory few = new AsOfMemory(() -> Long.MAX_VALUE, 100, 2);
        few.remember("p1", checkpointsOfOneAnnouncement(0), 0);
        few.remember("p2", checkpointsOfOneAnnouncement(0), 0);
        few.remember("p3", checkpointsOfOneAnnouncement(0), 0);
        assertThat(IntStream.rangeClosed(1, 3).filter(i -> few.remembered("p" + i) != null).count()).isEqualTo(2);
        assertThat(few.remembered("p3")).as("the newest").isNotNull();
        assertThat(few.remembersAnyOf(List.of(policy("p3")))).isTrue();
        assertThat(few.remembersAnyOf(List.of(policy("nobody")))).isFalse();
    }

    /** Keeps one policy's history of {@code bytes}, as a read that reserved exactly them does. */
    private void keepAlone(String policyId, long bytes) {
        assertThat(memory.reserve(bytes)).isTrue();
        memory.keep(List.of(history(policyId, bytes)), bytes, bytes);
    }

    private List<String> kept() {
        List<String> ids = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            if (memory.kept(id) != null) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static KeptHistory history(String policyId, long bytes) {
        return new KeptHistory(policy(policyId), List.of(), new long[0], new HistoryCheckpoints(DECIDER, 10, 2), bytes);
    }

    private static Policy policy(String policyId) {
        return new Policy(policyId, PolicyKind.MORATORIUM, "Amazon", "Rekognition",
                List.of("police"), PolicyStatus.ACTIVE, FROM, null, null, List.of(), null, null, null, FROM);
    }

    /** Checkpoints whose head is a policy with {@code exemptions} exemptions of long purposes. */
    private static HistoryCheckpoints checkpointsOfOneAnnouncement(int exemptions) {
        List<ExemptionGrant> grants = IntStream.range(0, exemptions)
                .mapToObj(i -> new ExemptionGrant("Organization " + i, "a purpose ".repeat(50))).toList();
        MoratoriumAnnounced announced = new MoratoriumAnnounced(new EventMeta("e-1", "test", FROM), "p", "Amazon",
                "Rekognition", List.of("police"), FROM, null, grants, null, null, null);
        HistoryCheckpoints checkpoints = new HistoryCheckpoints(DECIDER, 10, 2);
        checkpoints.accept(1, new RecordedEvent(announced, FROM));
        return checkpoints;
    }
}
