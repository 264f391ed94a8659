package dev.moratorium.gateway;

import dev.moratorium.policy.AccessDecision;
import dev.moratorium.wire.EventTimes;
import java.time.Duration;
import java.time.Instant;

/**
 * A runnable example: loads the view from {@code moratorium-state}, answers one question, prints
 * the decision and how current the view is, then keeps printing changes for {@code --follow}.
 *
 * <pre>
 * ./mvnw -f client/pom.xml -q package dependency:build-classpath -Dmdep.outputFile=target/classpath -DskipTests
 * java -cp "client/target/moratorium-gateway-client-1.0.0-SNAPSHOT.jar:$(cat client/target/classpath)" \
 *   dev.moratorium.gateway.GatewayExample localhost:9092 Amazon Rekognition police [organization] [jurisdiction] [at]
 * </pre>
 */
public final class GatewayExample {

    private GatewayExample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: GatewayExample <bootstrap-servers> <vendor> <product> <segment>"
                    + " [organization|-] [jurisdiction|-] [at: YYYY-MM-DD or RFC 3339|-] [--follow]");
            System.exit(2);
        }
        String organization = arg(args, 4);
        String jurisdiction = arg(args, 5);
        String atText = arg(args, 6);
        Instant at = atText == null ? Instant.now() : EventTimes.parse(atText).orElseThrow(() ->
                new IllegalArgumentException("at \"" + atText + "\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"));
        boolean follow = args[args.length - 1].equals("--follow");
        try (MoratoriumGatewayClient client = MoratoriumGatewayClient.builder().bootstrapServers(args[0]).start()) {
            if (!client.awaitLoaded(Duration.ofSeconds(30))) {
                System.err.println("moratorium-state not loaded within 30 s; answering from what was read: "
                        + client.staleness());
            }
            AccessDecision d = client.decide(args[1], args[2], args[3], organization, jurisdiction, at);
            System.out.println((d.allowed() ? "ALLOWED" : "DENIED") + " policyId=" + d.policyId() + " until=" + d.until()
                    + "\n  " + d.reason());
            System.out.println("view: " + client.staleness());
            if (follow) {
                client.addListener((id, before, after) -> System.out.println("changed " + id + ": "
                        + (after == null ? "deleted" : after.status() + " " + after.effectiveFrom() + " .. "
                                + after.effectiveUntil())));
                Thread.currentThread().join();
            }
        }
    }

    private static String arg(String[] args, int i) {
        return args.length > i && !args[i].equals("-") && !args[i].equals("--follow") ? args[i] : null;
    }
}
