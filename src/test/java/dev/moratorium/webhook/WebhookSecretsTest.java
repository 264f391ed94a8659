package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class WebhookSecretsTest {

    /** The example of the Standard Webhooks specification (standard-webhooks/spec). */
    @Test
    void signsTheSpecificationsExample() {
        String signature = WebhookSecrets.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330L, "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));
        assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void aSecretIsWhsecAndBase64Of32RandomBytes() {
        String secret = WebhookSecrets.generate();
        assertThat(secret).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
        assertThat(WebhookSecrets.generate()).isNotEqualTo(secret);
    }

    @Test
    void duringARotationBothSecretsSignSpaceSeparated() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        String header = WebhookSecrets.signatureHeader("whsec_bmV3bmV3bmV3bmV3bmV3bmV3", "whsec_b2xkb2xkb2xkb2xkb2xkb2xk",
                "id", 1L, body);
        assertThat(header.split(" ")).containsExactly(
                WebhookSecrets.sign("whsec_bmV3bmV3bmV3bmV3bmV3bmV3", "id", 1L, body),
                WebhookSecrets.sign("whsec_b2xkb2xkb2xkb2xkb2xkb2xk", "id", 1L, body));
        assertThat(WebhookSecrets.signatureHeader("whsec_bmV3bmV3bmV3bmV3bmV3bmV3", null, "id", 1L, body))
                .doesNotContain(" ");
    }
}
