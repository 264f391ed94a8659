package dev.moratorium.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks secrets and signatures: a secret is {@code whsec_} + base64 of random bytes;
 * a signature is {@code v1,} + base64 of HMAC-SHA256, keyed with the decoded bytes, of
 * {@code id.timestamp.body}.
 */
public final class WebhookSecrets {

    public static final String PREFIX = "whsec_";
    /** 32 bytes: HMAC-SHA256's own block of key strength (the spec asks for 24 to 64). */
    private static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSecrets() {
    }

    public static String generate() {
        byte[] bytes = new byte[SECRET_BYTES];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getEncoder().encodeToString(bytes);
    }

    /** {@code v1,<base64>} for one secret. */
    public static String sign(String secret, String webhookId, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(keyBytes(secret), "HmacSHA256"));
            mac.update((webhookId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * The {@code webhook-signature} header: one signature per secret still in force, space
     * separated, as the spec allows during a rotation (a receiver accepts if any one verifies).
     */
    public static String signatureHeader(String secret, String previousSecret, String webhookId, long timestamp,
            byte[] body) {
        String header = sign(secret, webhookId, timestamp, body);
        return previousSecret == null ? header : header + " " + sign(previousSecret, webhookId, timestamp, body);
    }

    static byte[] keyBytes(String secret) {
        String encoded = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
        return Base64.getDecoder().decode(encoded);
    }
}
