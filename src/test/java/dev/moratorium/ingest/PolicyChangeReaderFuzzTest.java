package dev.moratorium.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moratorium.policy.RejectionReason;
import dev.moratorium.testing.RecordMutator;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** 50,000 hostile records straight into the reader: it never throws, and every rejection has a contract code. */
class PolicyChangeReaderFuzzTest {

    @Test
    void everyMutantIsReadOrRejectedWithAContractCode() {
        PolicyChangeReader reader = new PolicyChangeReader();
        Map<RejectionReason, Integer> reasons = new EnumMap<>(RejectionReason.class);
        int read = 0;
        long offset = 0;
        for (RecordMutator.Mutant m : new RecordMutator(42).generate(50_000, "fuzz")) {
            List<RawHeader> headers = new ArrayList<>();
            m.headers().forEach((k, v) -> headers.add(new RawHeader(k, v.getBytes(StandardCharsets.UTF_8))));
            RawRecord record = new RawRecord("policy-changes", 0, offset++,
                    m.key() == null ? null : m.key().getBytes(StandardCharsets.UTF_8), m.value(), headers, Instant.EPOCH);
            ReadResult result = reader.read(record);
            if (result instanceof ReadResult.Unreadable u) {
                reasons.merge(u.rejection().reason(), 1, Integer::sum);
                assertThat(u.rejection().message()).as(m.mutation()).isNotBlank().doesNotContain("\n");
                assertThat(u.rejection().reason()).as(m.mutation()).isNotIn(RejectionReason.UNKNOWN_POLICY,
                        RejectionReason.DUPLICATE_POLICY, RejectionReason.NOT_AN_EXTENSION, RejectionReason.POLICY_CLOSED);
            } else {
                read++;
            }
        }
        System.out.println("reader fuzz: 50000 records, " + read + " read, rejected by reason " + reasons);
        assertThat(read).isPositive();
        assertThat(reasons).containsKeys(RejectionReason.TOO_LARGE, RejectionReason.MALFORMED_JSON,
                RejectionReason.NOT_A_CLOUDEVENT, RejectionReason.UNKNOWN_TYPE, RejectionReason.INVALID_FIELD,
                RejectionReason.KEY_MISMATCH);
    }
}
