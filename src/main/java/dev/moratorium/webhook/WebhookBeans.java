package dev.moratorium.webhook;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.net.InetAddress;

/** The address check, as configured, resolving names with the system resolver. */
@ApplicationScoped
class WebhookBeans {

    @Produces
    @ApplicationScoped
    TargetGuard targetGuard(WebhookSettings settings) {
        return new TargetGuard(settings.allowPrivateTargets(), InetAddress::getAllByName);
    }
}
