package dev.moratorium.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moratorium.wire.WireJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Checks webhook signatures with an implementation that is not ours: the npm package
 * {@code standardwebhooks} (pinned in .ci/webhook-verifier), through
 * {@code node .ci/webhook-verifier/verify.js}. Without node or the package the check fails, saying
 * how to install it: a signature nobody independent verified is not proven.
 */
public final class StandardWebhooksVerifier {

    static final Path DIR = Path.of(".ci/webhook-verifier");

    private StandardWebhooksVerifier() {
    }

    /** What verify.js printed and how it ended; exit 0 means every signature verified. */
    public record Verdict(int exitCode, String output) {
    }

    /** One delivery to check with one secret. */
    public record Signed(String secret, WebhookReceiver.Received delivery) {
    }

    public static Verdict verify(List<Signed> deliveries) {
        if (!Files.isDirectory(DIR.resolve("node_modules/standardwebhooks"))) {
            throw new AssertionError("The webhook signature verifier is not installed: run"
                    + " `(cd .ci/webhook-verifier && npm ci)` (.ci/run does) and test again");
        }
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
