package dev.moratorium.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Policy;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A policy as the API shows it: the fields of its {@code moratorium-state} record (docs/contract.md §2). */
@Schema(name = "Policy", description = "A policy: the fields of its moratorium-state record")
public record PolicyView(
        String policyId,
        String vendor,
        String product,
        @Schema(description = "who loses access; \"*\" stands for everyone") List<String> segments,
        @Schema(enumeration = {"SCHEDULED", "ACTIVE", "EXPIRED", "LIFTED", "WITHDRAWN"}) String status,
        Instant effectiveFrom,
        @Schema(description = "null: until further notice", nullable = true) Instant effectiveUntil,
        @Schema(description = "the exemptions in force") List<ExemptionView> exemptions,
        @JsonInclude(JsonInclude.Include.NON_NULL) String jurisdiction,
        @JsonInclude(JsonInclude.Include.NON_NULL) String reason,
        @JsonInclude(JsonInclude.Include.NON_NULL) String sourceUrl) {

    @Schema(name = "Exemption")
    public record ExemptionView(String organization, @Schema(nullable = true) String purpose) {
    }

    public static PolicyView of(Policy p) {
        List<ExemptionView> exemptions = p.activeExemptions().stream()
                .map((Exemption e) -> new ExemptionView(e.organization(), e.purpose())).toList();
        return new PolicyView(p.policyId(), p.vendor(), p.product(), p.segments(), p.status().name(),
                p.effectiveFrom(), p.effectiveUntil(), exemptions, p.jurisdiction(), p.reason(), p.sourceUrl());
    }
}
