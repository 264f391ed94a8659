package dev.moratorium.security;

import dev.moratorium.config.MoratoriumConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Whether a key to verify bearer tokens is configured. Without one the service still starts —
 * health, metrics and (unless restricted) reads keep working — but no token can be verified, so
 * every write answers 401: it fails closed, and says so at start-up.
 */
@ApplicationScoped
public class VerificationKey {

    private static final Logger LOG = Logger.getLogger("dev.moratorium");
    /** SmallRye JWT's own word for "not set" (application.properties sets it as the default). */
    private static final String NONE = "NONE";

    @ConfigProperty(name = "mp.jwt.verify.publickey")
    Optional<String> publicKey;

    @ConfigProperty(name = "mp.jwt.verify.publickey.location")
    Optional<String> publicKeyLocation;

    @ConfigProperty(name = "smallrye.jwt.verify.key.location")
    Optional<String> keyLocation;

    @Inject
    MoratoriumConfig config;

    public boolean configured() {
        return set(publicKey) || set(publicKeyLocation) || set(keyLocation);
    }

    void started(@Observes StartupEvent event) {
        if (!configured()) {
            LOG.warnf("No key to verify bearer tokens is configured (MP_JWT_VERIFY_PUBLICKEY or"
                    + " MP_JWT_VERIFY_PUBLICKEY_LOCATION): every write answers 401%s until one is set.",
                    config.security().restrictReads() ? ", and so does every read (restrict-reads is on)," : "");
        }
    }

    private static boolean set(Optional<String> value) {
        return value.filter(v -> !v.isBlank() && !NONE.equals(v.strip())).isPresent();
    }
}
