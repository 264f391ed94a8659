package dev.moratorium.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hostile records made from valid ones: truncated JSON, wrong types, huge strings, unicode,
 * nulls, missing or wrong headers, 1 MiB values, wrong or missing keys, random bytes.
 */
public final class RecordMutator {

    /** A record to produce: key (may be null), value (may be null), headers. */
    public record Mutant(String key, byte[] value, Map<String, String> headers, String mutation) {
    }

    private static final String[] VALID = {
        "{\"specversion\":\"1.0\",\"id\":\"ID\",\"type\":\"moratorium.announced\",\"source\":\"urn:fuzz\","
                + "\"time\":\"2026-03-01T00:00:00Z\",\"data\":{\"policyId\":\"PID\",\"vendor\":\"Acme\",\"product\":"
                + "\"Vision\",\"segments\":[\"police\"],\"effectiveFrom\":\"2026-01-01\",\"effectiveUntil\":"
                + "\"2030-01-01\",\"exemptions\":[{\"organization\":\"Thorn\",\"purpose\":\"p\"}]}}",
        "{\"specversion\":\"1.0\",\"id\":\"ID\",\"type\":\"moratorium.extended\",\"source\":\"urn:fuzz\","
                + "\"data\":{\"policyId\":\"PID\",\"effectiveUntil\":\"2031-01-01\"}}",
        "{\"specversion\":\"1.0\",\"id\":\"ID\",\"type\":\"moratorium.exemption-granted\",\"source\":\"urn:fuzz\","
                + "\"data\":{\"policyId\":\"PID\",\"organization\":\"Marinus Analytics\",\"purpose\":\"q\"}}",
        "{\"specversion\":\"1.0\",\"id\":\"ID\",\"type\":\"moratorium.exemption-revoked\",\"source\":\"urn:fuzz\","
                + "\"data\":{\"policyId\":\"PID\",\"organization\":\"Thorn\"}}",
        "{\"specversion\":\"1.0\",\"id\":\"ID\",\"type\":\"moratorium.lifted\",\"source\":\"urn:fuzz\","
                + "\"data\":{\"policyId\":\"PID\",\"effectiveAt\":\"2026-06-01T12:00:00+02:00\"}}",
        "{\"specversion\":\"1.0\",\"id\":\"ID\",\"type\":\"product.withdrawn\",\"source\":\"urn:fuzz\","
                + "\"data\":{\"policyId\":\"PID\",\"vendor\":\"IBM\",\"product\":\"FR\",\"effectiveFrom\":\"2020-06-08\"}}",
    };
    private static final String[] STRANGE = {"", " ", "null", "0", "-1", "1e309", "true", "[]", "{}", "\"\"",
        "\"\\u0000\"", "\"\\n\\r\"", "\"😀🚫\"", "\"\u202eevil\"", "\"\u200b\"", "\"' OR 1=1 --\"", "\"../../etc/passwd\"",
        "\"%00\"", "\"2020-13-45\"", "\"2020-06-10T25:00:00Z\"", "[\"police\",null]", "[1,2]", "{\"a\":1}"};
    private static final String[] FIELDS = {"specversion", "id", "type", "source", "time", "data", "policyId",
        "vendor", "product", "segments", "effectiveFrom", "effectiveUntil", "exemptions", "organization", "purpose",
        "effectiveAt"};

    private final Random random;
    private int counter;

    public RecordMutator(long seed) {
        this.random = new Random(seed);
    }

    public List<Mutant> generate(int count, String prefix) {
        List<Mutant> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(next(prefix));
        }
        return out;
    }

    private Mutant next(String prefix) {
        String policyId = prefix + "-" + random.nextInt(200);
        String json = VALID[random.nextInt(VALID.length)].replace("PID", policyId)
                .replace("\"ID\"", "\"" + prefix + "-e" + (counter++) + "\"");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/cloudevents+json");
        String key = policyId;
        byte[] value;
        String mutation;
        switch (random.nextInt(14)) {
            case 0 -> {
                mutation = "truncated";
                value = utf8(json.substring(0, random.nextInt(json.length())));
            }
            case 1 -> {
                mutation = "field-value";
                String field = FIELDS[random.nextInt(FIELDS.length)];
                value = utf8(json.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\[[^\\]]*\\]|\\{[^}]*\\}|null)",
                        "\"" + field + "\":" + STRANGE[random.nextInt(STRANGE.length)]));
            }
            case 2 -> {
                mutation = "field-removed";
                String field = FIELDS[random.nextInt(FIELDS.length)];
                value = utf8(json.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\[[^\\]]*\\]|null),?", ""));
            }
            case 3 -> {
                mutation = "huge-string";
                value = utf8(json.replace("Acme", "A".repeat(1000 + random.nextInt(70_000))));
            }
            case 4 -> {
                // mostly 100 KiB, sometimes a full 1 MiB (kept rare: each is stored and dead-lettered whole)
                mutation = "oversized";
                char[] pad = new char[random.nextInt(20) == 0 ? 1024 * 1024 : 100 * 1024];
                Arrays.fill(pad, 'x');
                value = utf8(json.replace("\"urn:fuzz\"", "\"" + new String(pad) + "\""));
            }
            case 5 -> {
                mutation = "wrong-key";
                key = random.nextBoolean() ? null : policyId + "-other";
                value = utf8(json);
            }
            case 6 -> {
                mutation = "no-content-type";
                headers.clear();
                value = utf8(json);
            }
            case 7 -> {
                mutation = "random-bytes";
                value = new byte[random.nextInt(300)];
                random.nextBytes(value);
            }
            case 8 -> {
                mutation = "null-value";
                value = null;
            }
            case 9 -> {
                mutation = "unicode";
                value = utf8(json.replace("Acme", "Ａｃｍｅ\u202e😀").replace("Thorn", "Thörn\u200b"));
            }
            case 10 -> {
                mutation = "binary-mode";
                headers.clear();
                headers.put("ce_specversion", random.nextBoolean() ? "1.0" : "0.3");
                headers.put("ce_id", prefix + "-b" + (counter++));
                headers.put("ce_type", random.nextBoolean() ? "moratorium.extended" : "nonsense");
                if (random.nextBoolean()) {
                    headers.put("ce_source", "urn:fuzz");
                }
                headers.put("content-type", random.nextBoolean() ? "application/json" : "text/plain");
                value = utf8("{\"policyId\":\"" + policyId + "\",\"effectiveUntil\":null}");
            }
            case 11 -> {
                mutation = "byte-flip";
                value = utf8(json);
                for (int i = 0; i < 1 + random.nextInt(5); i++) {
                    value[random.nextInt(value.length)] = (byte) random.nextInt(256);
                }
            }
            case 12 -> {
                mutation = "duplicate-keys";
                value = utf8(json.replaceFirst("\\{", "{\"id\":\"x\","));
            }
            default -> {
                mutation = "valid";
                value = utf8(json);
            }
        }
        return new Mutant(key, value, headers, mutation);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
