package dev.moratorium.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.moratorium.policy.Decision;
import dev.moratorium.policy.Notification;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.PolicyEvent;
import dev.moratorium.policy.PolicyEvent.ExemptionGrant;
import dev.moratorium.policy.PolicyEvent.ExemptionGranted;
import dev.moratorium.policy.PolicyEvent.ExemptionRevoked;
import dev.moratorium.policy.PolicyEvent.MoratoriumAnnounced;
import dev.moratorium.policy.PolicyEvent.MoratoriumExtended;
import dev.moratorium.policy.PolicyEvent.MoratoriumLifted;
import dev.moratorium.policy.PolicyEvent.ProductWithdrawn;
import dev.moratorium.policy.Rejection;
import dev.moratorium.policy.RejectionReason;
import dev.moratorium.policy.TimeDrivenChanges;
import dev.moratorium.wire.RawHeader;
import dev.moratorium.wire.RawRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyChangeReaderTest {

    private static final String KEY = "amazon-rekognition-police-2020";
    private static final Instant READ_AT = Instant.parse("2026-11-26T10:15:30Z");
    private static final String STRUCTURED = "application/cloudevents+json";

    private static final String ANNOUNCED_DATA = """
            {"policyId":"amazon-rekognition-police-2020","vendor":"Amazon","product":"Rekognition",\
            "segments":["police"],"effectiveFrom":"2020-06-10","effectiveUntil":"2021-06-10",\
            "exemptions":[{"organization":"Thorn","purpose":"finding missing children"},\
            {"organization":"Marinus Analytics","purpose":"fighting human trafficking"}],\
            "jurisdiction":"US","reason":"One year.","sourceUrl":"https://example.org/a"}""";

    private final PolicyChangeReader reader = new PolicyChangeReader();

    // ---- record builders ----

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static RawRecord record(String key, byte[] value, Map<String, String> headers) {
        List<RawHeader> raw = new ArrayList<>();
        headers.forEach((k, v) -> raw.add(new RawHeader(k, utf8(v))));
        return new RawRecord("policy-changes", 0, 42L, utf8(key), value, raw, READ_AT);
    }

    /** Structured mode: the value is the whole envelope. */
    private static RawRecord structured(String key, String envelope) {
        return record(key, utf8(envelope), Map.of("content-type", STRUCTURED));
    }

    /** A structured envelope with id evt-1, source urn:test and time 2020-06-10T22:00:00Z. */
    private static String envelope(String type, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"evt-1\",\"type\":\"" + type
                + "\",\"source\":\"urn:test\",\"time\":\"2020-06-10T22:00:00Z\",\"data\":" + data + "}";
    }

    private static RawRecord structuredEvent(String type, String data) {
        return structured(KEY, envelope(type, data));
    }

    private static Map<String, String> binaryHeaders(String type) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("ce_specversion", "1.0");
        h.put("ce_id", "evt-b");
        h.put("ce_type", type);
        h.put("ce_source", "urn:test");
        h.put("content-type", "application/json");
        return h;
    }

    /** Binary mode: the value is the data; headers carry the envelope. */
    private static RawRecord binary(String key, Map<String, String> headers, String data) {
        return record(key, utf8(data), headers);
    }

    private static Map<String, String> without(Map<String, String> headers, String name) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.remove(name);
        return copy;
    }

    private static Map<String, String> with(Map<String, String> headers, String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(name, value);
        return copy;
    }

    private static String announcedWith(String field, String json) {
        return ANNOUNCED_DATA.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\[\"police\"\\])", java.util.regex.Matcher.quoteReplacement("\"" + field + "\":" + json));
    }

    private static String announcedWithout(String field) {
        return ANNOUNCED_DATA.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\[\"police\"\\]),", "");
    }

    private PolicyEvent read(RawRecord record) {
        ReadResult result = reader.read(record);
        assertThat(result).as("read result").isInstanceOf(ReadResult.Read.class);
        return ((ReadResult.Read) result).event();
    }

    private ReadResult.Unreadable unreadable(RawRecord record) {
        ReadResult result = reader.read(record);
        assertThat(result).as("read result").isInstanceOf(ReadResult.Unreadable.class);
        return (ReadResult.Unreadable) result;
    }

    // ---- reading well-formed records ----

    @Test
    void structuredAnnouncement() {
        ReadResult result = reader.read(structuredEvent("moratorium.announced", ANNOUNCED_DATA));
        assertThat(result).isInstanceOf(ReadResult.Read.class);
        var read = (ReadResult.Read) result;
        var a = (MoratoriumAnnounced) read.event();
        assertThat(a.meta().id()).isEqualTo("evt-1");
        assertThat(a.meta().source()).isEqualTo("urn:test");
        assertThat(a.meta().time()).isEqualTo(Instant.parse("2020-06-10T22:00:00Z"));
        assertThat(a.policyId()).isEqualTo(KEY);
        assertThat(a.vendor()).isEqualTo("Amazon");
        assertThat(a.product()).isEqualTo("Rekognition");
        assertThat(a.segments()).containsExactly("police");
        assertThat(a.effectiveFrom()).isEqualTo(Instant.parse("2020-06-10T00:00:00Z"));
        assertThat(a.effectiveUntil()).isEqualTo(Instant.parse("2021-06-10T00:00:00Z"));
        assertThat(a.exemptions()).containsExactly(new ExemptionGrant("Thorn", "finding missing children"),
                new ExemptionGrant("Marinus Analytics", "fighting human trafficking"));
        assertThat(a.jurisdiction()).isEqualTo("US");
        assertThat(a.reason()).isEqualTo("One year.");
        assertThat(a.sourceUrl()).isEqualTo("https://example.org/a");
        assertThat(read.dataJson()).contains("\"policyId\":\"amazon-rekognition-police-2020\"")
                .doesNotContain("specversion");
    }

    @Test
    void binaryAnnouncement() {
        var headers = with(binaryHeaders("moratorium.announced"), "ce_time", "2020-06-10T18:00:00-04:00");
        var a = (MoratoriumAnnounced) read(binary(KEY, headers, ANNOUNCED_DATA));
        assertThat(a.meta().id()).isEqualTo("evt-b");
        assertThat(a.meta().source()).isEqualTo("urn:test");
        assertThat(a.meta().time()).isEqualTo(Instant.parse("2020-06-10T22:00:00Z"));
        assertThat(a.vendor()).isEqualTo("Amazon");
        assertThat(a.exemptions()).hasSize(2);
    }

    @Test
    void binaryModeWithoutContentTypeIsAccepted() {
        var a = read(binary(KEY, without(binaryHeaders("moratorium.announced"), "content-type"), ANNOUNCED_DATA));
        assertThat(a).isInstanceOf(MoratoriumAnnounced.class);
    }

    @Test
    void timeDefaultsToWhenTheRecordWasRead() {
        var binaryEvent = read(binary(KEY, binaryHeaders("moratorium.announced"), ANNOUNCED_DATA));
        assertThat(binaryEvent.meta().time()).isEqualTo(READ_AT);

        String noTime = "{\"specversion\":\"1.0\",\"id\":\"e\",\"type\":\"moratorium.announced\",\"source\":\"s\","
                + "\"data\":" + ANNOUNCED_DATA + "}";
        assertThat(read(structured(KEY, noTime)).meta().time()).isEqualTo(READ_AT);
        String nullTime = noTime.replace("\"source\":\"s\",", "\"source\":\"s\",\"time\":null,");
        assertThat(read(structured(KEY, nullTime)).meta().time()).isEqualTo(READ_AT);
    }

    @Test
    void liftEffectiveAtDefaultsToTheEventTime() {
        var lift = (MoratoriumLifted) read(structuredEvent("moratorium.lifted", "{\"policyId\":\"" + KEY + "\"}"));
        assertThat(lift.effectiveAt()).isEqualTo(Instant.parse("2020-06-10T22:00:00Z"));
        assertThat(lift.reason()).isNull();

        var liftNoTime = (MoratoriumLifted) read(binary(KEY, binaryHeaders("moratorium.lifted"),
                "{\"policyId\":\"" + KEY + "\",\"reason\":\"Congress acted.\"}"));
        assertThat(liftNoTime.effectiveAt()).as("time itself defaults to readAt").isEqualTo(READ_AT);
        assertThat(liftNoTime.reason()).isEqualTo("Congress acted.");

        var liftAt = (MoratoriumLifted) read(structuredEvent("moratorium.lifted",
                "{\"policyId\":\"" + KEY + "\",\"effectiveAt\":\"2020-12-01T12:00:00+01:00\"}"));
        assertThat(liftAt.effectiveAt()).isEqualTo(Instant.parse("2020-12-01T11:00:00Z"));
    }

    @Test
    void withdrawalSegmentsDefaultToEveryone() {
        String data = "{\"policyId\":\"" + KEY + "\",\"vendor\":\"IBM\",\"product\":\"x\",\"effectiveFrom\":\"2020-06-08\"}";
        var w = (ProductWithdrawn) read(structuredEvent("product.withdrawn", data));
        assertThat(w.segments()).containsExactly("*");
        assertThat(w.effectiveFrom()).isEqualTo(Instant.parse("2020-06-08T00:00:00Z"));

        var nullSegments = (ProductWithdrawn) read(structuredEvent("product.withdrawn",
                data.replace("}", ",\"segments\":null}")));
        assertThat(nullSegments.segments()).containsExactly("*");

        var some = (ProductWithdrawn) read(structuredEvent("product.withdrawn",
                data.replace("}", ",\"segments\":[\"police\",\"military\"]}")));
        assertThat(some.segments()).containsExactly("police", "military");
    }

    @Test
    void extensionUntilNullMeansIndefinitely() {
        var indefinite = (MoratoriumExtended) read(structuredEvent("moratorium.extended",
                "{\"policyId\":\"" + KEY + "\",\"effectiveUntil\":null}"));
        assertThat(indefinite.effectiveUntil()).isNull();

        var dated = (MoratoriumExtended) read(structuredEvent("moratorium.extended",
                "{\"policyId\":\"" + KEY + "\",\"effectiveUntil\":\"2022-06-10\",\"reason\":\"More time.\"}"));
        assertThat(dated.effectiveUntil()).isEqualTo(Instant.parse("2022-06-10T00:00:00Z"));
        assertThat(dated.reason()).isEqualTo("More time.");
    }

    @Test
    void announcementWithoutEndHoldsUntilFurtherNotice() {
        var absent = (MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                announcedWithout("effectiveUntil")));
        assertThat(absent.effectiveUntil()).isNull();
        var explicitNull = (MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                announcedWith("effectiveUntil", "null")));
        assertThat(explicitNull.effectiveUntil()).isNull();
        var noExemptions = (MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                "{\"policyId\":\"" + KEY + "\",\"vendor\":\"Amazon\",\"product\":\"Rekognition\","
                        + "\"segments\":[\"police\"],\"effectiveFrom\":\"2020-06-10T08:00:00Z\"}"));
        assertThat(noExemptions.exemptions()).isEmpty();
        assertThat(noExemptions.effectiveFrom()).isEqualTo(Instant.parse("2020-06-10T08:00:00Z"));
        assertThat(noExemptions.jurisdiction()).isNull();
    }

    @Test
    void exemptionEvents() {
        var granted = (ExemptionGranted) read(structuredEvent("moratorium.exemption-granted",
                "{\"policyId\":\"" + KEY + "\",\"organization\":\"Polaris Project\",\"purpose\":\"survivors\"}"));
        assertThat(granted.organization()).isEqualTo("Polaris Project");
        assertThat(granted.purpose()).isEqualTo("survivors");
        var revoked = (ExemptionRevoked) read(structuredEvent("moratorium.exemption-revoked",
                "{\"policyId\":\"" + KEY + "\",\"organization\":\"Thorn\"}"));
        assertThat(revoked.organization()).isEqualTo("Thorn");
        assertThat(revoked.reason()).isNull();
    }

    @Test
    void aValueOfExactly64KiBIsNotTooLarge() {
        String base = envelope("moratorium.announced", ANNOUNCED_DATA);
        String padded = base + " ".repeat(PolicyChangeReader.MAX_VALUE_BYTES - base.length());
        assertThat(utf8(padded)).hasSize(65536);
        assertThat(read(structured(KEY, padded))).isInstanceOf(MoratoriumAnnounced.class);
    }

    // ---- the seed story ----

    private static List<String[]> seedRecords() throws IOException {
        // The README's walkthrough produces this very file with kcat.
        List<String[]> records = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("examples/seed-story.kcat"))) {
            if (!line.isBlank()) {
                int bar = line.indexOf('|');
                records.add(new String[] {line.substring(0, bar), line.substring(bar + 1)});
            }
        }
        return records;
    }

    @Test
    void theSeedRecordsReadFineInStructuredMode() throws IOException {
        List<String[]> records = seedRecords();
        assertThat(records).extracting(r -> r[0])
                .containsExactly("ibm-face-recognition-withdrawal", "amazon-rekognition-police-2020");

        var ibm = (ProductWithdrawn) read(structured(records.get(0)[0], records.get(0)[1]));
        assertThat(ibm.meta().id()).isEqualTo("seed-ibm-2020-06-08");
        assertThat(ibm.meta().time()).isEqualTo(Instant.parse("2020-06-08T20:00:00Z"));
        assertThat(ibm.policyId()).isEqualTo("ibm-face-recognition-withdrawal");
        assertThat(ibm.vendor()).isEqualTo("IBM");
        assertThat(ibm.product()).isEqualTo("general-purpose face recognition");
        assertThat(ibm.segments()).containsExactly("*");
        assertThat(ibm.effectiveFrom()).isEqualTo(Instant.parse("2020-06-08T00:00:00Z"));
        assertThat(ibm.reason()).startsWith("IBM is concerned");

        var amazon = (MoratoriumAnnounced) read(structured(records.get(1)[0], records.get(1)[1]));
        assertThat(amazon.meta().id()).isEqualTo("seed-amazon-2020-06-10");
        assertThat(amazon.meta().time()).isEqualTo(Instant.parse("2020-06-10T22:00:00Z"));
        assertThat(amazon.vendor()).isEqualTo("Amazon");
        assertThat(amazon.product()).isEqualTo("Rekognition");
        assertThat(amazon.segments()).containsExactly("police");
        assertThat(amazon.effectiveFrom()).isEqualTo(Instant.parse("2020-06-10T00:00:00Z"));
        assertThat(amazon.effectiveUntil()).isEqualTo(Instant.parse("2021-06-10T00:00:00Z"));
        assertThat(amazon.exemptions()).extracting(ExemptionGrant::organization, ExemptionGrant::purpose)
                .containsExactly(tuple("Thorn", "finding missing children"),
                        tuple("Marinus Analytics", "fighting human trafficking"));

        // and, decided, they give the contract's sentences
        PolicyDecider decider = new PolicyDecider(new TimeDrivenChanges(List.of(Duration.ofDays(30), Duration.ofDays(7))));
        Instant now = Instant.parse("2020-06-09T00:00:00Z");
        var ibmOutcome = ((Decision.Applied) decider.decide(Optional.empty(), ibm, now)).outcome();
        var amazonOutcome = ((Decision.Applied) decider.decide(Optional.empty(), amazon, now)).outcome();
        assertThat(ibmOutcome.notifications()).extracting(Notification::message)
                .containsExactly("IBM general-purpose face recognition withdrawn for all customers from 2020-06-08.");
        assertThat(amazonOutcome.notifications()).extracting(Notification::message).containsExactly(
                "Police access to Amazon Rekognition suspended from 2020-06-10 until 2021-06-10 (exempt: Thorn, Marinus Analytics).");
    }

    // ---- rejections: one row per way a record can break a rule ----

    static Stream<Arguments> rejections() {
        String ann = "moratorium.announced";
        Map<String, String> bin = binaryHeaders(ann);
        String big = envelope(ann, ANNOUNCED_DATA) + " ".repeat(PolicyChangeReader.MAX_VALUE_BYTES);
        String tooLargeGarbage = "{" + "x".repeat(PolicyChangeReader.MAX_VALUE_BYTES);
        String withReason = "{\"policyId\":\"" + KEY + "\",\"reason\":";
        return Stream.of(
                // too-large
                arguments("too-large structured", structured(KEY, big), RejectionReason.TOO_LARGE),
                arguments("too-large binary", binary(KEY, bin, ANNOUNCED_DATA.replace("One year.",
                        "y".repeat(PolicyChangeReader.MAX_VALUE_BYTES))), RejectionReason.TOO_LARGE),
                arguments("too-large beats malformed-json", structured(KEY, tooLargeGarbage), RejectionReason.TOO_LARGE),

                // malformed-json
                arguments("truncated JSON", structured(KEY, envelope(ann, ANNOUNCED_DATA).substring(0, 80)),
                        RejectionReason.MALFORMED_JSON),
                arguments("empty value", structured(KEY, ""), RejectionReason.MALFORMED_JSON),
                arguments("null value (structured)", record(KEY, null, Map.of("content-type", STRUCTURED)),
                        RejectionReason.MALFORMED_JSON),
                arguments("null value (binary)", record(KEY, null, bin), RejectionReason.MALFORMED_JSON),
                arguments("null value, no headers", record(KEY, null, Map.of()), RejectionReason.MALFORMED_JSON),
                arguments("duplicate envelope keys", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"id\":\"evt-1\"", "\"id\":\"evt-1\",\"id\":\"evt-2\"")), RejectionReason.MALFORMED_JSON),
                arguments("duplicate data keys", structuredEvent(ann, ANNOUNCED_DATA
                        .replace("\"vendor\":\"Amazon\"", "\"vendor\":\"Amazon\",\"vendor\":\"IBM\"")),
                        RejectionReason.MALFORMED_JSON),
                arguments("trailing garbage", structured(KEY, envelope(ann, ANNOUNCED_DATA) + " x"),
                        RejectionReason.MALFORMED_JSON),
                arguments("two JSON values", structured(KEY, envelope(ann, ANNOUNCED_DATA) + "{}"),
                        RejectionReason.MALFORMED_JSON),
                arguments("binary data truncated", binary(KEY, bin, ANNOUNCED_DATA.substring(0, 40)),
                        RejectionReason.MALFORMED_JSON),
                arguments("binary data with trailing garbage", binary(KEY, bin, ANNOUNCED_DATA + "]"),
                        RejectionReason.MALFORMED_JSON),
                arguments("not JSON at all, no headers", record(KEY, utf8("hello"), Map.of()),
                        RejectionReason.MALFORMED_JSON),

                // not-a-cloudevent
                arguments("structured without id", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"id\":\"evt-1\",", "")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured without type", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"type\":\"" + ann + "\",", "")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured without source", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"source\":\"urn:test\",", "")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured without specversion", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"specversion\":\"1.0\",", "")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured with a blank id", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"id\":\"evt-1\"", "\"id\":\" \"")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured with a numeric id", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"id\":\"evt-1\"", "\"id\":17")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured specversion 0.3", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("\"specversion\":\"1.0\"", "\"specversion\":\"0.3\"")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("structured value is an array", structured(KEY, "[" + envelope(ann, ANNOUNCED_DATA) + "]"),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("plain JSON data without headers", record(KEY, utf8(ANNOUNCED_DATA), Map.of()),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("plain JSON data as application/json without ce_ headers",
                        record(KEY, utf8(ANNOUNCED_DATA), Map.of("content-type", "application/json")),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("binary without ce_id", binary(KEY, without(bin, "ce_id"), ANNOUNCED_DATA),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("binary without ce_type", binary(KEY, without(bin, "ce_type"), ANNOUNCED_DATA),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("binary without ce_source", binary(KEY, without(bin, "ce_source"), ANNOUNCED_DATA),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("binary with blank ce_source", binary(KEY, with(bin, "ce_source", ""), ANNOUNCED_DATA),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("binary ce_specversion 0.3", binary(KEY, with(bin, "ce_specversion", "0.3"), ANNOUNCED_DATA),
                        RejectionReason.NOT_A_CLOUDEVENT),
                arguments("a batch", record(KEY, utf8("[" + envelope(ann, ANNOUNCED_DATA) + "]"),
                        Map.of("content-type", "application/cloudevents-batch+json")), RejectionReason.NOT_A_CLOUDEVENT),

                // unknown-type
                arguments("structured unknown type", structuredEvent("moratorium.paused", ANNOUNCED_DATA),
                        RejectionReason.UNKNOWN_TYPE),
                arguments("binary unknown type", binary(KEY, with(bin, "ce_type", "com.example.other"), ANNOUNCED_DATA),
                        RejectionReason.UNKNOWN_TYPE),

                // invalid-field
                arguments("missing policyId", structuredEvent(ann, announcedWithout("policyId")),
                        RejectionReason.INVALID_FIELD),
                arguments("numeric policyId", structuredEvent(ann, announcedWith("policyId", "42")),
                        RejectionReason.INVALID_FIELD),
                arguments("policyId with a space", structured("acme x", envelope(ann, announcedWith("policyId", "\"acme x\""))),
                        RejectionReason.INVALID_FIELD),
                arguments("policyId with a slash", structured("../etc", envelope(ann, announcedWith("policyId", "\"../etc\""))),
                        RejectionReason.INVALID_FIELD),
                arguments("policyId starting with a dash", structured("-x", envelope(ann, announcedWith("policyId", "\"-x\""))),
                        RejectionReason.INVALID_FIELD),
                arguments("policyId of 129 characters", structuredEvent(ann, announcedWith("policyId",
                        "\"" + "a".repeat(129) + "\"")), RejectionReason.INVALID_FIELD),
                arguments("missing vendor", structuredEvent(ann, announcedWithout("vendor")), RejectionReason.INVALID_FIELD),
                arguments("unknown country as jurisdiction", structuredEvent(ann, announcedWith("jurisdiction", "\"EU\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("malformed subdivision", structuredEvent(ann, announcedWith("jurisdiction", "\"US-CALI\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("vendor a number", structuredEvent(ann, announcedWith("vendor", "7")), RejectionReason.INVALID_FIELD),
                arguments("blank product", structuredEvent(ann, announcedWith("product", "\"  \"")),
                        RejectionReason.INVALID_FIELD),
                arguments("control character in vendor", structuredEvent(ann, announcedWith("vendor", "\"Ama\\u0007zon\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("newline in product", structuredEvent(ann, announcedWith("product", "\"Reko\\ngnition\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("control character in an organization", structuredEvent(ann,
                        ANNOUNCED_DATA.replace("\"Thorn\"", "\"Th\\u0000orn\"")), RejectionReason.INVALID_FIELD),
                arguments("missing segments", structuredEvent(ann, announcedWithout("segments")),
                        RejectionReason.INVALID_FIELD),
                arguments("empty segments", structuredEvent(ann, announcedWith("segments", "[]")),
                        RejectionReason.INVALID_FIELD),
                arguments("segments a string", structuredEvent(ann, announcedWith("segments", "\"police\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("segments of numbers", structuredEvent(ann, announcedWith("segments", "[1]")),
                        RejectionReason.INVALID_FIELD),
                arguments("missing effectiveFrom", structuredEvent(ann, announcedWithout("effectiveFrom")),
                        RejectionReason.INVALID_FIELD),
                arguments("effectiveFrom not a date", structuredEvent(ann, announcedWith("effectiveFrom", "\"2020-13-45\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("effectiveFrom in words", structuredEvent(ann, announcedWith("effectiveFrom", "\"June 10, 2020\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("effectiveFrom without offset", structuredEvent(ann,
                        announcedWith("effectiveFrom", "\"2020-06-10T12:00:00\"")), RejectionReason.INVALID_FIELD),
                arguments("effectiveFrom a number", structuredEvent(ann, announcedWith("effectiveFrom", "20200610")),
                        RejectionReason.INVALID_FIELD),
                arguments("effectiveUntil not a date", structuredEvent(ann, announcedWith("effectiveUntil", "\"next year\"")),
                        RejectionReason.INVALID_FIELD),
                arguments("exemptions not a list", structuredEvent(ann, ANNOUNCED_DATA.replaceFirst(
                        "\"exemptions\":\\[.*?\\}\\]", "\"exemptions\":\"Thorn\"")), RejectionReason.INVALID_FIELD),
                arguments("exemption without organization", structuredEvent(ann, ANNOUNCED_DATA.replace(
                        "\"organization\":\"Thorn\",", "")), RejectionReason.INVALID_FIELD),
                arguments("the same organization exempted twice", structuredEvent(ann, ANNOUNCED_DATA.replace(
                        "Marinus Analytics", "THORN")), RejectionReason.INVALID_FIELD),
                arguments("reason a number", structuredEvent(ann, ANNOUNCED_DATA.replace("\"One year.\"", "1")),
                        RejectionReason.INVALID_FIELD),
                arguments("extension without an effectiveUntil key", structuredEvent("moratorium.extended",
                        "{\"policyId\":\"" + KEY + "\"}"), RejectionReason.INVALID_FIELD),
                arguments("extension to a non-date", structuredEvent("moratorium.extended",
                        "{\"policyId\":\"" + KEY + "\",\"effectiveUntil\":\"soon\"}"), RejectionReason.INVALID_FIELD),
                arguments("lift at a non-date", structuredEvent("moratorium.lifted",
                        "{\"policyId\":\"" + KEY + "\",\"effectiveAt\":true}"), RejectionReason.INVALID_FIELD),
                arguments("grant without organization", structuredEvent("moratorium.exemption-granted",
                        "{\"policyId\":\"" + KEY + "\"}"), RejectionReason.INVALID_FIELD),
                arguments("revoke without organization", structuredEvent("moratorium.exemption-revoked",
                        withReason + "\"x\"}"), RejectionReason.INVALID_FIELD),
                arguments("withdrawal without effectiveFrom", structuredEvent("product.withdrawn",
                        "{\"policyId\":\"" + KEY + "\",\"vendor\":\"IBM\",\"product\":\"x\"}"), RejectionReason.INVALID_FIELD),
                arguments("withdrawal with empty segments", structuredEvent("product.withdrawn",
                        "{\"policyId\":\"" + KEY + "\",\"vendor\":\"IBM\",\"product\":\"x\",\"effectiveFrom\":\"2020-06-08\","
                                + "\"segments\":[]}"), RejectionReason.INVALID_FIELD),
                arguments("structured without data", structured(KEY, "{\"specversion\":\"1.0\",\"id\":\"e\","
                        + "\"type\":\"" + ann + "\",\"source\":\"s\"}"), RejectionReason.INVALID_FIELD),
                arguments("structured data a string", structuredEvent(ann, "\"{}\""), RejectionReason.INVALID_FIELD),
                arguments("binary data an array", binary(KEY, bin, "[" + ANNOUNCED_DATA + "]"), RejectionReason.INVALID_FIELD),
                arguments("envelope time unparseable", structured(KEY, envelope(ann, ANNOUNCED_DATA)
                        .replace("2020-06-10T22:00:00Z", "yesterday")), RejectionReason.INVALID_FIELD),
                arguments("binary ce_time unparseable", binary(KEY, with(bin, "ce_time", "10/06/2020"), ANNOUNCED_DATA),
                        RejectionReason.INVALID_FIELD),
                arguments("binary content-type not JSON", binary(KEY, with(bin, "content-type", "text/plain"), ANNOUNCED_DATA),
                        RejectionReason.INVALID_FIELD),

                // invalid-interval
                arguments("until equal to from", structuredEvent(ann, announcedWith("effectiveUntil", "\"2020-06-10\"")),
                        RejectionReason.INVALID_INTERVAL),
                arguments("until before from", structuredEvent(ann, announcedWith("effectiveUntil", "\"2019-06-10\"")),
                        RejectionReason.INVALID_INTERVAL),
                arguments("until equal to from, as timestamps in other offsets", structuredEvent(ann,
                        announcedWith("effectiveUntil", "\"2020-06-10T02:00:00+02:00\""))
                        , RejectionReason.INVALID_INTERVAL),

                // key-mismatch
                arguments("null key", structured(null, envelope(ann, ANNOUNCED_DATA)), RejectionReason.KEY_MISMATCH),
                arguments("another key", structured("acme-x", envelope(ann, ANNOUNCED_DATA)), RejectionReason.KEY_MISMATCH),
                arguments("key in another case", structured(KEY.toUpperCase(), envelope(ann, ANNOUNCED_DATA)),
                        RejectionReason.KEY_MISMATCH),
                arguments("binary, another key", binary("acme-x", bin, ANNOUNCED_DATA), RejectionReason.KEY_MISMATCH),
                arguments("lift, null key", record(null, utf8(envelope("moratorium.lifted", "{\"policyId\":\"" + KEY + "\"}")),
                        Map.of("content-type", STRUCTURED)), RejectionReason.KEY_MISMATCH));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("rejections")
    void aRecordThatBreaksARuleIsRejectedWithItsReasonCode(String name, RawRecord record, RejectionReason expected) {
        Rejection rejection = unreadable(record).rejection();
        assertThat(rejection.reason()).isEqualTo(expected);
        assertThat(rejection.message()).isNotBlank().doesNotContain("\n");
        assertThat(rejection.deadLetterReason()).startsWith(expected.code() + ": ");
    }

    // ---- a header Kafka lets repeat: an attribute said twice is refused, not read as its last value ----

    private static RawRecord withRepeated(RawRecord record, String name, String... values) {
        List<RawHeader> headers = new ArrayList<>(record.headers());
        for (String v : values) {
            headers.add(new RawHeader(name, utf8(v)));
        }
        return new RawRecord(record.topic(), record.partition(), record.offset(), record.key(), record.value(), headers,
                record.readAt());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "content-type"})
    void aBinaryEventWithARepeatedAttributeHeaderIsNotACloudEvent(String name) {
        var headers = with(binaryHeaders("moratorium.announced"), "ce_time", "2020-06-10T18:00:00Z");
        RawRecord once = binary(KEY, headers, ANNOUNCED_DATA);
        assertThat(reader.read(once)).isInstanceOf(ReadResult.Read.class);
        // the same value again is refused too: the rule is about the record's shape, not a conflict
        String same = headers.get(name);
        for (String second : new String[] {same, "product.withdrawn"}) {
            Rejection rejection = unreadable(withRepeated(once, name, second)).rejection();
            assertThat(rejection.reason()).isEqualTo(RejectionReason.NOT_A_CLOUDEVENT);
            assertThat(rejection.message()).isEqualTo("the record carries the header " + name + " 2 times (\""
                    + same + "\", \"" + second + "\"); a CloudEvent attribute is one header, so which one holds"
                    + " cannot be told");
        }
    }

    @Test
    void theRepeatedTypeTheLastHeaderWouldHaveAppliedIsRefused() {
        // ce_type announced then withdrawn: read as its last header, this applied a withdrawal
        RawRecord record = withRepeated(binary(KEY, binaryHeaders("moratorium.announced"), ANNOUNCED_DATA), "ce_type",
                "product.withdrawn");
        assertThat(unreadable(record).rejection().reason()).isEqualTo(RejectionReason.NOT_A_CLOUDEVENT);
    }

    @Test
    void aRepeatedHeaderShowsThreeValuesEachCutAndEscaped() {
        String[] more = new String[998];
        java.util.Arrays.fill(more, "evt-\u0000" + "x".repeat(5_000));
        RawRecord record = withRepeated(binary(KEY, binaryHeaders("moratorium.announced"), ANNOUNCED_DATA), "ce_id",
                more);
        Rejection rejection = unreadable(record).rejection();
        assertThat(rejection.message()).startsWith("the record carries the header ce_id 999 times (\"evt-b\", \"evt-")
                .contains(", …); a CloudEvent attribute").doesNotContain("\u0000").hasSizeLessThan(2_000);
    }

    @Test
    void aStructuredEventWithARepeatedContentTypeIsNotACloudEvent() {
        RawRecord record = withRepeated(structuredEvent("moratorium.announced", ANNOUNCED_DATA), "content-type",
                STRUCTURED);
        assertThat(unreadable(record).rejection().reason()).isEqualTo(RejectionReason.NOT_A_CLOUDEVENT);
        // headers a structured event is not read from may repeat: the envelope is the value
        RawRecord ceHeaders = withRepeated(structuredEvent("moratorium.announced", ANNOUNCED_DATA), "ce_id", "a", "b");
        assertThat(reader.read(ceHeaders)).isInstanceOf(ReadResult.Read.class);
    }

    @Test
    void malformedJsonComesBeforeARepeatedHeader() {
        RawRecord record = withRepeated(binary(KEY, binaryHeaders("moratorium.announced"), "{\"policyId\":"), "ce_id",
                "evt-c");
        assertThat(unreadable(record).rejection().reason()).isEqualTo(RejectionReason.MALFORMED_JSON);
    }

    // ---- precedence: when a record breaks several rules, the earliest row of the table wins ----

    static Stream<Arguments> precedence() {
        String ann = "moratorium.announced";
        Map<String, String> bin = binaryHeaders(ann);
        String badIntervalData = announcedWith("effectiveUntil", "\"2019-01-01\"");
        return Stream.of(
                arguments("too-large and not a CloudEvent", record(KEY, utf8("{\"a\":\"" + "x".repeat(70_000) + "\"}"),
                        Map.of()), RejectionReason.TOO_LARGE),
                arguments("malformed JSON and (binary) no ce_id", binary(KEY, without(bin, "ce_id"), "{\"policyId\":"),
                        RejectionReason.MALFORMED_JSON),
                arguments("malformed JSON and (binary) an unknown type",
                        binary(KEY, with(bin, "ce_type", "x.y"), "{\"policyId\":"), RejectionReason.MALFORMED_JSON),
                arguments("malformed JSON and (binary) a non-JSON content-type",
                        binary(KEY, with(bin, "content-type", "text/plain"), "not json"), RejectionReason.MALFORMED_JSON),
                arguments("malformed JSON and (binary) no value", record(KEY, null, without(bin, "ce_source")),
                        RejectionReason.MALFORMED_JSON),
                arguments("malformed JSON and a batch", record(KEY, utf8("[{\"specversion\":"),
                        Map.of("content-type", "application/cloudevents-batch+json")), RejectionReason.MALFORMED_JSON),
                arguments("no source and an unknown type", structured(KEY, envelope("x.y", ANNOUNCED_DATA)
                        .replace("\"source\":\"urn:test\",", "")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("specversion 0.3 and an unknown type", structured(KEY, envelope("x.y", ANNOUNCED_DATA)
                        .replace("\"1.0\"", "\"0.3\"")), RejectionReason.NOT_A_CLOUDEVENT),
                arguments("unknown type and no policyId", structuredEvent("x.y", "{}"), RejectionReason.UNKNOWN_TYPE),
                arguments("unknown type and no data", structured(KEY, "{\"specversion\":\"1.0\",\"id\":\"e\","
                        + "\"type\":\"x.y\",\"source\":\"s\"}"), RejectionReason.UNKNOWN_TYPE),
                arguments("a missing vendor and an invalid interval", structuredEvent(ann,
                        badIntervalData.replace("\"vendor\":\"Amazon\",", "")), RejectionReason.INVALID_FIELD),
                arguments("an unparseable time and an invalid interval", structured(KEY, envelope(ann, badIntervalData)
                        .replace("2020-06-10T22:00:00Z", "yesterday")), RejectionReason.INVALID_FIELD),
                arguments("an invalid field and a wrong key", structured("acme-x", envelope(ann,
                        announcedWith("segments", "[]"))), RejectionReason.INVALID_FIELD),
                arguments("an invalid policyId and a wrong key", structured("acme-x", envelope(ann,
                        announcedWith("policyId", "\"a b\""))), RejectionReason.INVALID_FIELD),
                arguments("an invalid interval and a wrong key", structured("acme-x", envelope(ann, badIntervalData)),
                        RejectionReason.INVALID_INTERVAL),
                arguments("an invalid interval and no key", structured(null, envelope(ann, badIntervalData)),
                        RejectionReason.INVALID_INTERVAL),
                arguments("an invalid interval and a wrong key (binary)", binary("acme-x", bin, badIntervalData),
                        RejectionReason.INVALID_INTERVAL));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("precedence")
    void theEarliestRowOfTheReasonTableWins(String name, RawRecord record, RejectionReason expected) {
        assertThat(unreadable(record).rejection().reason()).isEqualTo(expected);
    }

    // ---- what a rejection says ----

    @Test
    void rejectionSentences() {
        Rejection tooLarge = unreadable(record(KEY, new byte[PolicyChangeReader.MAX_VALUE_BYTES + 1],
                Map.of("content-type", STRUCTURED))).rejection();
        assertThat(tooLarge.deadLetterReason())
                .isEqualTo("too-large: the record value is 65537 bytes; the limit is 65536 (64 KiB)");

        Rejection mismatch = unreadable(structured("acme-x", envelope("moratorium.announced", ANNOUNCED_DATA)))
                .rejection();
        assertThat(mismatch.message()).contains("acme-x").contains(KEY);

        Rejection noKey = unreadable(structured(null, envelope("moratorium.announced", ANNOUNCED_DATA))).rejection();
        assertThat(noKey.message()).isEqualTo("the record has no key; it must be the policyId \"" + KEY + "\"");

        Rejection unknown = unreadable(structuredEvent("moratorium.paused", ANNOUNCED_DATA)).rejection();
        assertThat(unknown.message()).startsWith("type \"moratorium.paused\" is not one of");

        Rejection interval = unreadable(structuredEvent("moratorium.announced",
                announcedWith("effectiveUntil", "\"2020-06-10\""))).rejection();
        assertThat(interval.deadLetterReason())
                .isEqualTo("invalid-interval: effectiveUntil 2020-06-10 is not after effectiveFrom 2020-06-10");

        Rejection bellInId = unreadable(structuredEvent("moratorium.announced",
                announcedWith("policyId", "\"bad\\u0007id\""))).rejection();
        assertThat(bellInId.deadLetterReason()).isEqualTo("invalid-field: data.policyId contains control characters");

        Rejection bellInType = unreadable(structuredEvent("moratorium.bad\\u0007type", ANNOUNCED_DATA)).rejection();
        assertThat(bellInType.reason()).isEqualTo(RejectionReason.UNKNOWN_TYPE);
        assertThat(bellInType.message()).as("control characters are escaped when echoed")
                .startsWith("type \"moratorium.bad\\u0007type\" is not one of").doesNotContain("\u0007");
    }

    @Test
    void theEventIdIsKeptOnceTheEnvelopeWasRead() {
        assertThat(unreadable(structured(KEY, "{")).eventId()).isNull();
        assertThat(unreadable(structured(KEY, envelope("moratorium.announced", ANNOUNCED_DATA)
                .replace("\"source\":\"urn:test\",", ""))).eventId()).isNull();
        assertThat(unreadable(structuredEvent("moratorium.announced", announcedWithout("vendor"))).eventId())
                .isEqualTo("evt-1");
        assertThat(unreadable(structured("acme-x", envelope("moratorium.announced", ANNOUNCED_DATA))).eventId())
                .isEqualTo("evt-1");
        assertThat(unreadable(binary("acme-x", binaryHeaders("moratorium.announced"), ANNOUNCED_DATA)).eventId())
                .isEqualTo("evt-b");
    }

    /**
     * The history keeps an event's data as received, a producer's own fields included, so its
     * numbers are kept exactly, in either mode (read as doubles, 0.1000000000000000055511151231257827
     * came back as 0.1, -1E-400 as -0.0 and 1e400 as the string "Infinity").
     */
    @Test
    void theDataKeepsEveryNumberAsSent() {
        String data = ANNOUNCED_DATA.substring(0, ANNOUNCED_DATA.length() - 1)
                + ",\"precise\":0.1000000000000000055511151231257827,\"huge\":1e400,\"tiny\":-1E-400,"
                + "\"wide\":123456789012345678901234567890,\"scaled\":1.50,\"whole\":7,\"nested\":[2.5e-3]}";
        for (RawRecord record : List.of(structuredEvent("moratorium.announced", data),
                binary(KEY, binaryHeaders("moratorium.announced"), data))) {
            ReadResult result = reader.read(record);
            assertThat(result).isInstanceOf(ReadResult.Read.class);
            assertThat(((ReadResult.Read) result).dataJson()).endsWith(",\"precise\":0.1000000000000000055511151231257827,"
                    + "\"huge\":1E+400,\"tiny\":-1E-400,\"wide\":123456789012345678901234567890,\"scaled\":1.50,"
                    + "\"whole\":7,\"nested\":[0.0025]}");
        }
    }

    /**
     * What JSON allows but the parser cannot hold is this record's rejection with a sentence: a
     * number longer than 1,000 characters, an exponent no decimal holds (which, thrown as a
     * NumberFormatException, no rejection caught), a field name longer than 50,000 characters.
     * Each of the parser's limits used to be called nesting.
     */
    @Test
    void numbersAndNamesPastTheParsersLimitsAreRejectedWithTheLimitNamed() {
        String data = ANNOUNCED_DATA.substring(0, ANNOUNCED_DATA.length() - 1);
        Map<String, String> refused = Map.of(
                "\"n\":1" + "0".repeat(1000), "invalid-field: the record value holds a number of more than 1000 characters",
                "\"n\":-0." + "0".repeat(1000) + "1", "invalid-field: the record value holds a number of more than 1000 characters",
                "\"n\":1e9999999999", "invalid-field: the record value holds a number whose exponent is out of range",
                "\"n\":1E-2147483649", "invalid-field: the record value holds a number whose exponent is out of range",
                "\"" + "n".repeat(50_001) + "\":1", "invalid-field: the record value holds a field name of more than 50000 characters");
        refused.forEach((field, reason) -> {
            assertThat(unreadable(structuredEvent("moratorium.announced", data + "," + field + "}")).rejection()
                    .deadLetterReason()).as(field.substring(0, Math.min(20, field.length()))).isEqualTo(reason);
            assertThat(unreadable(binary(KEY, binaryHeaders("moratorium.announced"), data + "," + field + "}"))
                    .rejection().deadLetterReason()).as(field.substring(0, Math.min(20, field.length()))).isEqualTo(reason);
        });

        String longest = "1" + "0".repeat(999);
        String atTheEdges = ",\"n\":" + longest + ",\"m\":1e2147483647,\"o\":-1E-2147483647,\"" + "p".repeat(50_000) + "\":0}";
        ReadResult kept = reader.read(structuredEvent("moratorium.announced", data + atTheEdges));
        assertThat(kept).isInstanceOf(ReadResult.Read.class);
        assertThat(((ReadResult.Read) kept).dataJson()).endsWith(",\"n\":" + longest + ",\"m\":1E+2147483647,"
                + "\"o\":-1E-2147483647,\"" + "p".repeat(50_000) + "\":0}");
    }

    /**
     * Binary-mode attributes are text. Bytes that are not UTF-8 were read with U+FFFD in their place,
     * so the ids "evt-" + 0xFF and "evt-" + 0xFE were one id, and the second event was dropped as a
     * duplicate of the first; now each is rejected, in the order of the contract's reasons (the
     * other attributes already failed their checks). UTF-8 outside ASCII is read as before.
     */
    @Test
    void binaryAttributesThatAreNotUtf8AreRejected() {
        for (String name : List.of("ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "content-type")) {
            for (byte[] bad : List.of(new byte[] {'e', 'v', 't', (byte) 0xFF}, new byte[] {'e', (byte) 0xC3},
                    new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0xAF})) {
                List<RawHeader> headers = new ArrayList<>();
                binaryHeaders("moratorium.announced").forEach((k, v) -> {
                    if (!k.equals(name)) {
                        headers.add(new RawHeader(k, utf8(v)));
                    }
                });
                headers.add(new RawHeader(name, bad));
                RawRecord record = new RawRecord("policy-changes", 0, 42L, utf8(KEY), utf8(ANNOUNCED_DATA), headers, READ_AT);
                Rejection rejection = unreadable(record).rejection();
                if (name.equals("ce_id") || name.equals("ce_source")) {
                    assertThat(rejection.deadLetterReason()).as(name)
                            .isEqualTo("invalid-field: the header " + name + " is not UTF-8 text");
                } else {
                    // read against fixed values or as a time, which such bytes already failed
                    assertThat(rejection.reason()).as(name).isIn(RejectionReason.NOT_A_CLOUDEVENT,
                            RejectionReason.UNKNOWN_TYPE, RejectionReason.INVALID_FIELD);
                }
            }
        }
        var headers = with(with(binaryHeaders("moratorium.announced"), "ce_id", "\u00e9v\u00e9nement-\ud83d\udd14"),
                "ce_source", "urn:b\u00fcro");
        PolicyEvent event = read(binary(KEY, headers, ANNOUNCED_DATA));
        assertThat(event.meta().id()).isEqualTo("\u00e9v\u00e9nement-\ud83d\udd14");
        assertThat(event.meta().source()).isEqualTo("urn:b\u00fcro");
    }

    /**
     * A policy names at most 100 segments, each counted once however it is written. Unbounded, a
     * 64 KiB record named 8,000 segments (or 2,400 exemptions), each compared with every other:
     * seconds of the ingest thread for one record, and a key computed for each of them at every
     * access decision about the product.
     */
    @Test
    void segmentsStopAtAHundredAndCountOnceHoweverWritten() {
        List<String> hundred = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hundred.add("\"s\u00e9gment-" + i + "\"");
        }
        String atTheLimit = "[" + String.join(",", hundred) + "]";
        var a = (MoratoriumAnnounced) read(structuredEvent("moratorium.announced", announcedWith("segments", atTheLimit)));
        assertThat(a.segments()).hasSize(100).startsWith("s\u00e9gment-0").endsWith("s\u00e9gment-99");

        String pastIt = "[" + String.join(",", hundred) + ",\"one more\"]";
        assertThat(unreadable(structuredEvent("moratorium.announced", announcedWith("segments", pastIt))).rejection()
                .deadLetterReason()).isEqualTo("invalid-field: data.segments lists 101 names; the limit is 100");

        var folded = (MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                announcedWith("segments", "[\"police\",\"POLICE\",\"\uff30olice\",\"police\u200b\",\"military\"]")));
        assertThat(folded.segments()).containsExactly("police", "military");
        assertThat(unreadable(structuredEvent("moratorium.announced", announcedWith("segments", "[\"police\",7]")))
                .rejection().deadLetterReason()).isEqualTo("invalid-field: data.segments[1] must be a string, not a number");

        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 2_000; i++) {
            many.append(i == 0 ? "" : ",").append("{\"organization\":\"\u00e9").append(i).append("\"}");
        }
        String twice = many + ",{\"organization\":\"\u00c9" + 1_999 + "\"}]";
        String data = "{\"policyId\":\"" + KEY + "\",\"vendor\":\"Amazon\",\"product\":\"Rekognition\","
                + "\"segments\":[\"police\"],\"effectiveFrom\":\"2020-06-10\",\"exemptions\":" + twice + "}";
        assertThat(unreadable(structuredEvent("moratorium.announced", data)).rejection().message())
                .as("the same organization, folded, found among 2,000").isEqualTo("data.exemptions names \"\u00c91999\" twice");
    }

    /**
     * A limit in characters counts code points, as PostgreSQL's VARCHAR(n) does: an emoji is two
     * UTF-16 units and was counted twice, so a vendor of 101 emoji was refused as longer than 200
     * characters though its column holds 200. Folding still counts: a dotted capital I is one
     * character that folds to two.
     */
    @Test
    void limitsCountCharactersNotUtf16Units() {
        String emoji = "\uD83D\uDE00";
        var atTheLimit = (MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                announcedWith("vendor", "\"" + emoji.repeat(200) + "\"")));
        assertThat(atTheLimit.vendor()).isEqualTo(emoji.repeat(200));
        assertThat(unreadable(structuredEvent("moratorium.announced",
                announcedWith("vendor", "\"" + emoji.repeat(201) + "\""))).rejection().message())
                .isEqualTo("data.vendor is longer than 200 characters");

        assertThat(((MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                announcedWith("product", "\"" + "\u0130".repeat(100) + "\"")))).product()).hasSize(100);
        assertThat(unreadable(structuredEvent("moratorium.announced",
                announcedWith("product", "\"" + "\u0130".repeat(101) + "\""))).rejection().message())
                .isEqualTo("data.product is longer than 200 characters once case-folded and normalized (202)");

        assertThat(((MoratoriumAnnounced) read(structuredEvent("moratorium.announced",
                announcedWith("reason", "\"" + emoji.repeat(4_000) + "\"")))).reason()).hasSize(8_000);
        assertThat(unreadable(structuredEvent("moratorium.announced",
                announcedWith("reason", "\"" + emoji.repeat(4_001) + "\""))).rejection().message())
                .isEqualTo("data.reason is longer than 4000 characters");

        String envelope = envelope("moratorium.announced", ANNOUNCED_DATA);
        String longId = emoji.repeat(512);
        assertThat(read(structured(KEY, envelope.replace("\"evt-1\"", "\"" + longId + "\""))).meta().id()).isEqualTo(longId);
        assertThat(unreadable(structured(KEY, envelope.replace("\"evt-1\"", "\"" + longId + emoji + "\"")))
                .rejection().message()).isEqualTo("id is 513 characters long; the limit is 512");
        String longSource = emoji.repeat(2_048);
        assertThat(read(structured(KEY, envelope.replace("\"urn:test\"", "\"" + longSource + "\""))).meta().source())
                .isEqualTo(longSource);
        assertThat(unreadable(structured(KEY, envelope.replace("\"urn:test\"", "\"" + longSource + emoji + "\"")))
                .rejection().message()).isEqualTo("source is 2049 characters long; the limit is 2048");
    }
}
