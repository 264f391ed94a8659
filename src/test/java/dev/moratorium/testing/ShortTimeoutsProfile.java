package dev.moratorium.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * A fresh application with short writer timeouts (so a frozen lock holder is cut off within a test's
 * patience) and a short outbox lease and acknowledgement wait; the outbox reliability tests share it.
 */
public class ShortTimeoutsProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("moratorium.writers.lock-timeout", "1s",
                "moratorium.writers.idle-in-transaction-timeout", "3s",
                "moratorium.writers.statement-timeout", "3s",
                "moratorium.outbox.lease", "12s",
                "moratorium.outbox.ack-timeout", "8s");
    }
}
