package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.store.PolicyReads;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExemptionAdmissionTest {

    private static Policy policy(String id, String product) {
        return PolicyCatalogTest.policy(id, "Amazon", product, PolicyStatus.ACTIVE);
    }

    @Test
    void aPolicyIsHeldWithItsExemptionsWhileTheyAreSmallAndFitTheBudgetBesideTheOnesHeld() {
        PolicyCatalog catalog = new PolicyCatalog();
        Policy held = policy("held", "Rekognition").withExemptions(List.of(Exemption.fromStart("Thorn", "x".repeat(872))));
        catalog.putAll(List.of(held), Set.of());
        long heldBytes = PolicyReads.exemptionBytes(held);
        assertThat(heldBytes).isEqualTo(5 + 872 + PolicyReads.EXEMPTION_OVERHEAD);

        ExemptionAdmission chunk = new ExemptionAdmission(catalog, 3_000);
        assertThat(chunk.takes(policy("huge", "Other"), ExemptionAdmission.MAX_HELD_PER_POLICY + 1))
                .as("past the limit of one policy, whatever the budget").isFalse();
        assertThat(chunk.takes(policy("a", "Rekognition"), 1_000)).isTrue(); // 1,005 + 1,000 of 3,000
        assertThat(chunk.takes(policy("b", "Other"), 1_000)).as("3,005 would pass 3,000").isFalse();
        assertThat(chunk.takes(policy("held", "Rekognition"), 1_995))
                .as("a policy read again gives back what its version held: 1,000 + 1,995").isTrue();
        assertThat(chunk.takes(policy("c", "Other"), 6)).as("3,001").isFalse();
        assertThat(chunk.takes(policy("c", "Other"), 5)).as("3,000").isTrue();

        assertThat(new ExemptionAdmission(catalog, 0).takes(policy("d", "Other"), 1)).as("a budget of 0 holds none")
                .isFalse();
        assertThat(new ExemptionAdmission(new PolicyCatalog(), ExemptionAdmission.MAX_HELD_PER_POLICY)
                .takes(policy("e", "Other"), ExemptionAdmission.MAX_HELD_PER_POLICY)).as("at the limit").isTrue();
    }
}
