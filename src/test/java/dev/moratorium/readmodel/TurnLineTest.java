package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TurnLineTest {

    private static final Duration PATIENCE = Duration.ofSeconds(2);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final TurnLine line = new TurnLine(2, PATIENCE, now::get);
    private final Object a = "a";
    private final Object b = "b";
    private final Object c = "c";
    private final Object d = "d";

    @Test
    void turnsGoToTheFirstAskersAndTheRestWait() {
        assertThat(line.take(a)).isTrue();
        assertThat(line.take(b)).isTrue();
        assertThat(line.take(c)).isFalse();
        assertThat(line.take(a)).as("a holder keeps its turn").isTrue();
        assertThat(line.free()).isZero();
        assertThat(line.waiting()).isEqualTo(1);
    }

    @Test
    void aHolderKeepsItsTurnWhileNobodyWaits() {
        line.take(a);
        assertThat(line.passOnIfWaitedFor(a)).isFalse();
        assertThat(line.take(a)).isTrue();
        assertThat(line.passOnIfWaitedFor(c)).as("only a holder passes a turn on").isFalse();
    }

    @Test
    void aHolderPassesItsTurnToTheFirstWaiterAndQueuesBehindTheOthers() {
        line.take(a);
        line.take(b);
        assertThat(line.take(c)).isFalse();
        tick();
        assertThat(line.take(d)).isFalse();
        assertThat(line.passOnIfWaitedFor(a)).isTrue();
        assertThat(line.take(a)).as("a asks again at once, behind c and d").isFalse();
        assertThat(line.take(d)).as("d asked after c").isFalse();
        assertThat(line.take(c)).isTrue();
        assertThat(line.passOnIfWaitedFor(b)).isTrue();
        assertThat(line.take(a)).as("d is ahead of a").isFalse();
        assertThat(line.take(d)).isTrue();
        assertThat(line.passOnIfWaitedFor(c)).as("a waits").isTrue();
        assertThat(line.take(a)).isTrue();
        assertThat(line.waiting()).as("b, then c").isEqualTo(2);
    }

    @Test
    void aWaiterThatStoppedAskingLosesItsPlace() {
        line.take(a);
        line.take(b);
        line.take(c); // then busy writing to a slow client: it does not ask again
        tick();
        line.take(d);
        now.addAndGet(PATIENCE.toNanos());
        tick();
        line.take(d);
        line.leave(a);
        assertThat(line.take(d)).as("c has not asked for longer than the patience").isTrue();
        assertThat(line.take(c)).as("c, at the end of the line again").isFalse();
        assertThat(line.waiting()).isEqualTo(1);
    }

    @Test
    void aHolderDoesNotPassItsTurnToWaitersWhoStoppedAsking() {
        line.take(a);
        line.take(b);
        line.take(c);
        now.addAndGet(PATIENCE.toNanos() + 1);
        assertThat(line.passOnIfWaitedFor(a)).isFalse();
        assertThat(line.waiting()).as("c dropped").isZero();
        assertThat(line.take(a)).isTrue();
    }

    @Test
    void leavingEndsATurnOrAPlaceAndMayBeRepeated() {
        line.take(a);
        line.take(b);
        line.take(c);
        line.leave(c);
        line.leave(c);
        assertThat(line.waiting()).isZero();
        line.leave(a);
        line.leave(a);
        assertThat(line.free()).isEqualTo(1);
        assertThat(line.take(d)).isTrue();
        assertThat(line.free()).isZero();
    }

    private void tick() {
        now.addAndGet(Duration.ofMillis(250).toNanos());
    }
}
