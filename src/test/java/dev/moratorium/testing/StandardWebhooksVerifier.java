package dev.moratorium.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.wire.WireJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks webhook signatures with implementations that are not the service's: the Standard Webhooks
 * scheme written out here from the specification (HMAC-SHA256 of {@code id.timestamp.body} keyed
 * with the base64 after {@code whsec_}; any {@code v1,} signature of the header may match), always;
 * and the npm package {@code standardwebhooks} (pinned in .ci/webhook-verifier) through
 * {@code node .ci/webhook-verifier/verify.js} where it is installed — at once, since the package
 * refuses a timestamp more than five minutes old. {@code .ci/run} installs it, and under CI
 * ({@code CI=true}) its absence fails the check: CI always verifies with the package, while a
 * newcomer's {@code ./mvnw verify} needs nothing but a JDK.
 */
public final class StandardWebhooksVerifier {

    static final Path DIR = Path.of(".ci/webhook-verifier");

    private StandardWebhooksVerifier() {
    }

    /** What the verifiers said and how they ended; exit 0 means every signature verified. */
    public record Verdict(int exitCode, String output) {
    }

    /** One delivery to check with one secret. */
    public record Signed(String secret, WebhookReceiver.Received delivery) {
    }

    public static Verdict verify(List<Signed> deliveries) {
        StringBuilder report = new StringBuilder();
        int verified = 0;
        for (Signed s : deliveries) {
            String id = s.delivery().header("webhook-id");
            boolean ok = verifies(s.secret(), id, s.delivery().header("webhook-timestamp"), s.delivery().body(),
                    s.delivery().header("webhook-signature"));
            verified += ok ? 1 : 0;
            report.append(ok ? "ok " : "FAILED ").append(id).append('\n');
        }
        report.append(verified).append(" of ").append(deliveries.size()).append(" signatures verified\n");
        boolean allVerified = verified == deliveries.size() && !deliveries.isEmpty();
        boolean installed = Files.isDirectory(DIR.resolve("node_modules/standardwebhooks"));
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI verifies webhook signatures with the npm package standardwebhooks:"
                    + " run `(cd .ci/webhook-verifier && npm ci)` first (.ci/run does)");
        }
        if (!allVerified || !installed) {
            return new Verdict(allVerified ? 0 : 1, report.toString());
        }
        return withNode(input(deliveries));
    }

    /** The scheme as the specification states it, sharing nothing with the service's signer. */
    static boolean verifies(String secret, String id, String timestamp, String body, String signatureHeader) {
        if (secret == null || !secret.startsWith("whsec_") || id == null || timestamp == null
                || signatureHeader == null) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            byte[] expected = Base64.getEncoder().encode(
                    mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
            for (String candidate : signatureHeader.split(" ")) {
                if (candidate.startsWith("v1,") && MessageDigest.isEqual(
                        candidate.substring(3).getBytes(StandardCharsets.UTF_8), expected)) {
                    return true;
                }
            }
            return false;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static ArrayNode input(List<Signed> deliveries) {
        ArrayNode input = WireJson.MAPPER.createArrayNode();
        for (Signed s : deliveries) {
            ObjectNode item = input.addObject();
            item.put("secret", s.secret());
            item.put("body", s.delivery().body());
            ObjectNode headers = item.putObject("headers");
            for (String h : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
                headers.put(h, s.delivery().header(h));
            }
        }
        return input;
    }

    private static Verdict withNode(ArrayNode input) {
        try {
            Process node = new ProcessBuilder("node", DIR.resolve("verify.js").toString()).redirectErrorStream(true)
                    .start();
            try (OutputStream in = node.getOutputStream()) {
                in.write(WireJson.string(input).getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!node.waitFor(60, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                throw new AssertionError("node .ci/webhook-verifier/verify.js did not finish in 60 s");
            }
            return new Verdict(node.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("could not run node (needed to verify webhook signatures): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
