package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AttemptBudgetTest {

    @Test
    void theLeaseMustOutlastAWholeAttempt() {
        // the defaults: 5 s to connect, 10 s for the answer, a 60 s lease
        AttemptBudget defaults = new AttemptBudget(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(60));
        assertThat(defaults.answerDeadline()).isEqualTo(Duration.ofSeconds(15));
        assertThat(new AttemptBudget(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMillis(15_001)).answerDeadline())
                .isEqualTo(Duration.ofSeconds(15));

        // at the limit and below it: a worker still waiting when its lease ends lets another send again
        assertThatThrownBy(() -> new AttemptBudget(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(15)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("A setting is out of range: moratorium.webhooks.lease (PT15S) must be longer than moratorium.webhooks.connect-timeout"
                        + " plus request-timeout (PT15S): a worker still waiting on a receiver when its lease ends"
                        + " lets another worker send the same notification again");
        // shorter than the request timeout alone, the setting a reader is most likely to compare it with
        assertThatThrownBy(() -> new AttemptBudget(Duration.ofSeconds(5), Duration.ofSeconds(3), Duration.ofSeconds(4)))
                .hasMessageContaining("(PT4S) must be longer than");
    }
}
