package dev.moratorium.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code wrk --latency} and reads its figures. */
final class Wrk {

    record Result(double requestsPerSecond, double p50Ms, double p90Ms, double p99Ms, long requests, long errors,
            String load, String output) {

        Json json() {
            return new Json().put("rps", Json.round(requestsPerSecond, 0)).put("p50_ms", Json.round(p50Ms, 3))
                    .put("p90_ms", Json.round(p90Ms, 3)).put("p99_ms", Json.round(p99Ms, 3)).put("requests", requests)
                    .put("errors", errors).put("load", load);
        }

        String line() {
            return String.format("%.0f req/s, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, %d requests, %d errors",
                    requestsPerSecond, p50Ms, p90Ms, p99Ms, requests, errors);
        }
    }

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    private Wrk() {
    }

    /**
     * @param script a Lua script, or null
     * @param scriptArgs passed to the script's init(args)
     */
    static Result run(int threads, int connections, int seconds, String url, String script, List<String> scriptArgs)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s",
                "--latency", "--timeout", "5s"));
        if (script != null) {
            command.add("-s");
            command.add(script);
        }
        command.add(url);
        if (script != null && !scriptArgs.isEmpty()) {
            command.add("--");
            command.addAll(scriptArgs);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IllegalStateException("wrk exited with " + rc + ": " + out);
        }
        Matcher rps = RPS.matcher(out);
        Matcher requests = REQUESTS.matcher(out);
        if (!rps.find() || !requests.find()) {
            throw new IllegalStateException("unexpected wrk output: " + out);
        }
        long errors = 0;
        Matcher non2xx = NON_2XX.matcher(out);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        Matcher socket = SOCKET_ERRORS.matcher(out);
        if (socket.find()) {
            for (int i = 1; i <= 4; i++) {
                errors += Long.parseLong(socket.group(i));
            }
        }
        return new Result(Double.parseDouble(rps.group(1)), percentile(out, "50"), percentile(out, "90"),
                percentile(out, "99"), Long.parseLong(requests.group(1)), errors, BenchEnv.load(), out);
    }

    /** A line of wrk's "Latency Distribution", e.g. {@code 99%    2.31ms}, in milliseconds. */
    private static double percentile(String out, String pct) {
        Matcher m = Pattern.compile("^\\s+" + pct + "%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE).matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no " + pct + "% line in wrk output: " + out);
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }
}
