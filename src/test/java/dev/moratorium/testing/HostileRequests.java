package dev.moratorium.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moratorium.wire.WireJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Sends hostile requests and judges each answer. A request "succeeded" — for the attacker — when
 * it got a 5xx, a write without the admin role got anything but a 4xx, an error body was not the
 * API's JSON error, or a body showed a stack trace, SQL, a file of the host or an injected header.
 */
public final class HostileRequests {

    /** What the request must at least get. */
    public enum Expect {
        /** A write without the admin role, or a restricted read without a reader's role: a 4xx. */
        DENIED,
        /** Anything but a server error (a hostile value in a parameter a reader may send). */
        NO_SERVER_ERROR,
        /** As NO_SERVER_ERROR, and a 200 shows no policy: the value is a filter that matches nothing. */
        NOTHING_MATCHED
    }

    /** Status codes the HTTP codec answers itself, before any route, with an empty body. */
    private static final Set<Integer> CODEC_STATUSES = Set.of(400, 414, 431);
    private static final Pattern STACK_FRAME = Pattern.compile("\\bat [\\w$]+(\\.[\\w$<>]+)+\\(");
    private static final List<String> LEAKS = List.of("exception", "caused by", ".java:", "org.hibernate", "org.postgresql",
            "sqlstate", "syntax error at or near", "jdbc", "hibernate", "<html", "<!doctype", "root:x:0:0", "[extensions]");

    private final int port;
    private int tried;
    private final List<String> succeeded = new ArrayList<>();

    public HostileRequests(int port) {
        this.port = port;
    }

    public RawHttp.Answer send(String label, Expect expect, String method, String target, Map<String, String> headers,
            byte[] body) {
        RawHttp.Answer answer = RawHttp.send(port, method, target, headers, body,
                target.startsWith("/notifications/stream") ? 600 : 5000);
        judge(label + ": " + method + " " + shorten(target), expect, answer, false, "HEAD".equals(method));
        return answer;
    }

    /**
     * Bytes as they are, request line and all; the server may also close without answering. With
     * pipelined requests, {@code expect} is for the last one.
     */
    public RawHttp.Answer sendRaw(String label, Expect expect, byte[] request) {
        RawHttp.Answer answer = RawHttp.sendRaw(port, request, null, 2000);
        judge(label, expect, answer, true, false);
        return answer;
    }

    public int tried() {
        return tried;
    }

    public List<String> succeeded() {
        return succeeded;
    }

    public String summary(String name) {
        return name + ": " + tried + " tried, " + succeeded.size() + " succeeded";
    }

    private void judge(String label, Expect expect, RawHttp.Answer answer, boolean mayDrop, boolean head) {
        tried++;
        List<String> problems = problems(expect, answer, mayDrop, head);
        if (!problems.isEmpty()) {
            succeeded.add(label + " -> " + answer.status() + " " + shorten(answer.body()) + " " + problems);
        }
    }

    private static List<String> problems(Expect expect, RawHttp.Answer a, boolean mayDrop, boolean head) {
        List<String> problems = new ArrayList<>();
        for (int status : a.statuses()) {
            if (status >= 500) {
                problems.add("server error " + status);
            }
        }
        // several answers: pipelined requests, of which the last is the hostile one
        int last = a.statuses().isEmpty() ? a.status() : a.statuses().get(a.statuses().size() - 1);
        if (expect == Expect.DENIED && last != 0 && last < 400) {
            problems.add("not denied: " + last);
        }
        if (a.status() == 0 && !mayDrop) {
            problems.add("no answer");
        }
        // Error answers must show nothing of the inside; a successful one (metrics, OpenAPI) may name
        // a library, but never a stack trace or a file of the host.
        String all = a.raw().toLowerCase(Locale.ROOT);
        for (String leak : a.status() >= 400 || a.status() == 0 ? LEAKS : List.of("root:x:0:0", "[extensions]")) {
            if (all.contains(leak)) {
                problems.add("shows \"" + leak + "\"");
            }
        }
        if (STACK_FRAME.matcher(a.raw()).find()) {
            problems.add("shows a stack frame");
        }
        if (a.header("x-injected") != null || a.header("set-cookie") != null) {
            problems.add("an injected header came back");
        }
        if (a.status() >= 400) {
            problems.addAll(errorBodyProblems(a, head));
        }
        if (expect == Expect.NOTHING_MATCHED && a.status() == 200) {
            JsonNode body = WireJson.parse(a.body());
            boolean matched = body.has("total") ? body.get("total").asLong() != 0
                    : body.has("policyId") && !body.get("policyId").isNull();
            if (matched) {
                problems.add("a filter value matched a policy");
            }
        }
        return problems;
    }

    /**
     * {"error": code, "message": sentence} as JSON; or an empty body when the HTTP codec itself
     * refused; or, for HEAD, no body at all (HTTP forbids one) but the JSON content type.
     */
    private static List<String> errorBodyProblems(RawHttp.Answer a, boolean head) {
        if (a.body().isEmpty() && CODEC_STATUSES.contains(a.status()) && a.header("content-type") == null) {
            return List.of();
        }
        String type = a.header("content-type");
        if (type == null || !type.startsWith("application/json")) {
            return List.of("error body is not JSON (" + type + ")");
        }
        if (head) {
            return a.body().isEmpty() ? List.of() : List.of("a body in the answer to HEAD");
        }
        try {
            JsonNode body = WireJson.parse(a.body());
            if (!body.isObject() || !body.path("error").isTextual() || !body.path("message").isTextual()
                    || body.size() != 2) {
                return List.of("error body is not {\"error\", \"message\"}");
            }
        } catch (RuntimeException e) {
            return List.of("error body does not parse");
        }
        return List.of();
    }

    private static String shorten(String s) {
        String oneLine = s.replace("\r", "\\r").replace("\n", "\\n");
        return oneLine.length() <= 160 ? oneLine : oneLine.substring(0, 160) + "…";
    }
}
