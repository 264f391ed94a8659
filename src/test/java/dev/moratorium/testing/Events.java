package dev.moratorium.testing;

/** Structured CloudEvents for tests, written out as a producer would. */
public final class Events {

    private Events() {
    }

    public static String event(String id, String type, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type
                + "\",\"source\":\"urn:test\",\"datacontenttype\":\"application/json\",\"data\":" + data + "}";
    }

    public static String timedEvent(String id, String type, String time, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type
                + "\",\"source\":\"urn:test\",\"time\":\"" + time + "\",\"data\":" + data + "}";
    }

    public static String announce(String id, String policyId, String from, String until) {
        return event(id, "moratorium.announced", "{\"policyId\":\"" + policyId + "\",\"vendor\":\"Acme\","
                + "\"product\":\"Vision\",\"segments\":[\"police\"],\"effectiveFrom\":\"" + from + "\","
                + "\"effectiveUntil\":" + (until == null ? "null" : "\"" + until + "\"") + "}");
    }
}
