package dev.moratorium.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.AccessRules;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Names;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import dev.moratorium.store.PolicyReads;
import java.time.Instant;
import java.util.ArrayList;
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

    /**
     * A policy of many exemptions is held by organization too, so a decision naming one reads its
     * exemptions only, and decides as it would over them all; a policy of few, or a policy object
     * the index no longer holds (a reader's list from before a refresh), is given whole.
     */
    @Test
    void aPolicyOfManyExemptionsIsNarrowedToTheOrganizationAskedAndDecidesTheSame() {
        List<Exemption> many = new ArrayList<>();
        for (int i = 0; i < PolicyCatalog.ORGANIZED_FROM; i++) {
            many.add(Exemption.fromStart("Org " + i, "purpose " + i));
        }
        many.add(new Exemption("\u00c9cole", "revoked", null, FROM.plusSeconds(86_400)));
        many.add(new Exemption("ecole", "granted again", FROM.plusSeconds(2 * 86_400), null));
        many.add(new Exemption("\u00e9cole", "granted again", FROM.plusSeconds(2 * 86_400), null));
        Policy big = policy("big", "Amazon", "Rekognition", PolicyStatus.ACTIVE).withExemptions(many);
        Policy small = policy("small", "Amazon", "Rekognition", PolicyStatus.ACTIVE)
                .withExemptions(List.of(Exemption.fromStart("Thorn", null)));
        PolicyCatalog catalog = new PolicyCatalog();
        catalog.putAll(List.of(big, small));

        assertThat(catalog.narrowedTo(big, Names.key("ORG 7")).exemptions()).containsExactly(many.get(7));
        assertThat(catalog.narrowedTo(big, Names.key("\u00c9COLE")).exemptions())
                .containsExactly(many.get(many.size() - 3), many.get(many.size() - 1));
        assertThat(catalog.narrowedTo(big, Names.key("Nobody")).exemptions()).isEmpty();
        assertThat(catalog.narrowedTo(small, Names.key("Thorn"))).isSameAs(small);

        List<Policy> both = catalog.policiesFor("amazon", "rekognition");
        for (String organization : List.of("Org 7", "org 31", "\u00c9cole", "ECOLE", "Nobody", "Thorn")) {
            for (Instant at : List.of(FROM.minusSeconds(1), FROM.plusSeconds(3_600), FROM.plusSeconds(36 * 3_600),
                    FROM.plusSeconds(72 * 3_600))) {
                List<Policy> narrowed = both.stream().map(p -> catalog.narrowedTo(p, Names.key(organization))).toList();
                assertThat(AccessRules.decide(narrowed, "police", organization, at)).as("%s at %s", organization, at)
                        .isEqualTo(AccessRules.decide(both, "police", organization, at));
            }
        }

        Policy changed = big.withExemptions(many.subList(0, many.size() - 1));
        catalog.putAll(List.of(changed));
        assertThat(catalog.narrowedTo(big, Names.key("Org 7"))).as("no longer the object held").isSameAs(big);
        assertThat(catalog.narrowedTo(changed, Names.key("Org 7")).exemptions()).containsExactly(many.get(7));
        catalog.putAll(List.of(changed.withExemptions(many.subList(0, 3))));
        Policy few = catalog.policiesFor("amazon", "rekognition").get(0);
        assertThat(catalog.narrowedTo(few, Names.key("Org 1"))).as("few exemptions: as it is").isSameAs(few);
    }

    /** The exemptions held by organization have a ceiling of their own: past it, a policy is held as before. */
    @Test
    void policiesAreHeldByOrganizationOnlyWithinTheirRoom() {
        PolicyCatalog catalog = new PolicyCatalog();
        List<Exemption> thousand = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            thousand.add(Exemption.fromStart("Org " + i, null));
        }
        int fit = PolicyCatalog.MAX_ORGANIZED / 1_000;
        List<Policy> policies = new ArrayList<>();
        for (int i = 0; i <= fit; i++) {
            policies.add(policy("p" + i, "Amazon", "Rekognition", PolicyStatus.ACTIVE).withExemptions(thousand));
        }
        catalog.putAll(policies);
        assertThat(catalog.organizedExemptions()).isEqualTo(fit * 1_000);
        List<Policy> held = catalog.policiesFor("amazon", "rekognition");
        assertThat(catalog.narrowedTo(held.get(0), Names.key("org 5")).exemptions()).hasSize(1);
        assertThat(catalog.narrowedTo(held.get(fit), Names.key("org 5"))).as("past the room").isSameAs(held.get(fit));

        catalog.putAll(List.of(held.get(0).withExemptions(thousand.subList(0, 3)))); // gives its room back
        catalog.putAll(List.of(held.get(fit).withExemptions(thousand.subList(0, 999))));
        assertThat(catalog.organizedExemptions()).isEqualTo((fit - 1) * 1_000 + 999);
        Policy now = catalog.policiesFor("amazon", "rekognition").get(fit);
        assertThat(catalog.narrowedTo(now, Names.key("org 5")).exemptions()).hasSize(1);
    }
}
