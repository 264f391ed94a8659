package dev.moratorium.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moratorium.policy.Exemption;
import dev.moratorium.policy.Policy;
import dev.moratorium.policy.PolicyKind;
import dev.moratorium.policy.PolicyStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** State records as the service writes them (WireJson.state) read into the domain's Policy. */
class StateRecordsTest {

    static final String AMAZON = """
            {"policyId":"amazon-rekognition-police-2020","vendor":"Amazon","product":"Rekognition",\
            "segments":["police"],"status":"ACTIVE","effectiveFrom":"2020-06-10T00:00:00Z",\
            "effectiveUntil":"2021-06-10T00:00:00Z","exemptions":[{"organization":"Thorn","purpose":"finding missing children"},\
            {"organization":"Marinus Analytics","purpose":null}],"jurisdiction":"US","reason":"One year.",\
            "sourceUrl":"https://example.org/a"}""";
    static final String IBM = """
            {"policyId":"ibm-face-recognition-withdrawal","vendor":"IBM","product":"general-purpose face recognition",\
            "segments":["*"],"status":"WITHDRAWN","effectiveFrom":"2020-06-08T00:00:00Z","effectiveUntil":null,\
            "exemptions":[],"reason":"IBM is concerned."}""";

    static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsAMoratorium() {
        Policy p = StateRecords.parse(bytes(AMAZON));
        assertThat(p.policyId()).isEqualTo("amazon-rekognition-police-2020");
        assertThat(p.kind()).isEqualTo(PolicyKind.MORATORIUM);
        assertThat(p.vendor()).isEqualTo("Amazon");
        assertThat(p.product()).isEqualTo("Rekognition");
        assertThat(p.segments()).containsExactly("police");
        assertThat(p.status()).isEqualTo(PolicyStatus.ACTIVE);
        assertThat(p.effectiveFrom()).isEqualTo(Instant.parse("2020-06-10T00:00:00Z"));
        assertThat(p.effectiveUntil()).isEqualTo(Instant.parse("2021-06-10T00:00:00Z"));
        assertThat(p.exemptions()).containsExactly(Exemption.fromStart("Thorn", "finding missing children"),
                Exemption.fromStart("Marinus Analytics", null));
        assertThat(p.jurisdiction()).isEqualTo("US");
        assertThat(p.reason()).isEqualTo("One year.");
        assertThat(p.sourceUrl()).isEqualTo("https://example.org/a");
        assertThat(p.liftedAt()).isNull();
    }

    @Test
    void readsAWithdrawalAndALift() {
        Policy ibm = StateRecords.parse(bytes(IBM));
        assertThat(ibm.kind()).isEqualTo(PolicyKind.WITHDRAWAL);
        assertThat(ibm.effectiveUntil()).isNull();
        assertThat(ibm.jurisdiction()).isNull();
        assertThat(ibm.sourceUrl()).isNull();
        assertThat(ibm.coversEveryone()).isTrue();
        Policy lifted = StateRecords.parse(bytes(AMAZON.replace("\"ACTIVE\"", "\"LIFTED\"")));
        assertThat(lifted.liftedAt()).isEqualTo(lifted.effectiveUntil());
        assertThat(lifted.statusAt(Instant.parse("2021-07-01T00:00:00Z"))).isEqualTo(PolicyStatus.LIFTED);
    }

    @Test
    void refusesWhatIsNotAStateRecord() {
        for (String bad : List.of("not json", "{}", "[1]", AMAZON.replace("\"ACTIVE\"", "\"SLEEPING\""),
                AMAZON.replace("2020-06-10T00:00:00Z", "yesterday"))) {
            assertThatThrownBy(() -> StateRecords.parse(bytes(bad))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a moratorium-state record");
        }
    }
}
