package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.store.PolicyReads;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyCatalogTest {

    private static final Instant FROM = Instant.parse("2020-06-10T00:00:00Z");

    static Policy policy(String id, String vendor, String product, PolicyStatus status) {
        return new Policy(id, PolicyKind.MORATORIUM, vendor, product, List.of("police"), status, FROM, null, null,
                List.of(), null, null, null, FROM);
    }

    @Test
    void findsPoliciesByVendorAndProductKeys() {
        PolicyCatalog catalog = new PolicyCatalog();
        catalog.putAll(List.of(policy("a", " Amazon", "Rekognition", PolicyStatus.ACTIVE),
                policy("b", "IBM", "Face", PolicyStatus.WITHDRAWN)));
        assertThat(catalog.policiesFor("amazon", "rekognition")).extracting(Policy::policyId).containsExactly("a");
        assertThat(catalog.policiesFor("ibm", "face")).extracting(Policy::policyId).containsExactly("b");
        assertThat(catalog.policiesFor("amazon", "face")).isEmpty();
        assertThat(catalog.policiesFor("nobody", "face")).isEmpty();
        assertThat(catalog.size()).isEqualTo(2);
    }

    @Test
    void aChangedPolicyReplacesItselfInPlaceAndANewOneIsAppended() {
        PolicyCatalog catalog = new PolicyCatalog();
        catalog.putAll(List.of(policy("a", "Amazon", "Rekognition", PolicyStatus.SCHEDULED),
                policy("b", "Amazon", "Rekognition", PolicyStatus.ACTIVE)));
        catalog.putAll(List.of(policy("a", "Amazon", "Rekognition", PolicyStatus.ACTIVE),
                policy("c", "AMAZON", "rekognition", PolicyStatus.ACTIVE)));
        assertThat(catalog.policiesFor("amazon", "rekognition")).extracting(Policy::policyId, Policy::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", PolicyStatus.ACTIVE),
                        org.assertj.core.groups.Tuple.tuple("b", PolicyStatus.ACTIVE),
                        org.assertj.core.groups.Tuple.tuple("c", PolicyStatus.ACTIVE));
        assertThat(catalog.size()).isEqualTo(3);
    }

    @Test
    void aListHandedToAReaderNeverChangesUnderIt() {
        PolicyCatalog catalog = new PolicyCatalog();
        catalog.putAll(List.of(policy("a", "Amazon", "Rekognition", PolicyStatus.ACTIVE)));
        List<Policy> read = catalog.policiesFor("amazon", "rekognition");
        catalog.putAll(List.of(policy("b", "Amazon", "Rekognition", PolicyStatus.ACTIVE)));
        assertThat(read).hasSize(1);
        assertThat(catalog.policiesFor("amazon", "rekognition")).hasSize(2);
    }

    @Test
    void itCountsTheExemptionsItHoldsAndNamesThePoliciesHeldWithoutThem() {
        PolicyCatalog catalog = new PolicyCatalog();
        Policy a = policy("a", "Amazon", "Rekognition", PolicyStatus.ACTIVE)
                .withExemptions(List.of(Exemption.fromStart("Thorn", "child safety"),
                        Exemption.fromStart("Marinus Analytics", "\u6f22".repeat(10))));
        Policy b = policy("b", "Amazon", "Rekognition", PolicyStatus.ACTIVE);
        catalog.putAll(List.of(a, b), Set.of("b"));
        long aBytes = 5 + 12 + 17 + 30 + 2L * PolicyReads.EXEMPTION_OVERHEAD;
        assertThat(PolicyReads.exemptionBytes(a)).isEqualTo(aBytes);
        assertThat(catalog.exemptionBytes()).isEqualTo(aBytes);
        assertThat(catalog.heldWithoutExemptions("b")).isTrue();
        assertThat(catalog.holdsExemptionsOf(catalog.policiesFor("amazon", "rekognition"), p -> true)).isFalse();
        assertThat(catalog.holdsExemptionsOf(catalog.policiesFor("amazon", "rekognition"), p -> false))
                .as("none read").isTrue();
        assertThat(catalog.holdsExemptionsOf(List.of(a), p -> true)).isTrue();

        // a replaces itself: its bytes are counted once; held without them now, it counts none
        catalog.putAll(List.of(a.withExemptions(List.of(Exemption.fromStart("Thorn", "child safety")))), Set.of());
        assertThat(catalog.exemptionBytes()).isEqualTo(5 + 12 + PolicyReads.EXEMPTION_OVERHEAD);
        catalog.putAll(List.of(a.withExemptions(List.of())), Set.of("a"));
        assertThat(catalog.exemptionBytes()).isZero();
        assertThat(catalog.withoutExemptions()).isEqualTo(2);
        // b whole again: no longer named
        catalog.putAll(List.of(b), Set.of());
        assertThat(catalog.heldWithoutExemptions("b")).isFalse();
        assertThat(catalog.withoutExemptions()).isEqualTo(1);
        assertThat(catalog.size()).isEqualTo(2);
    }
}
