package dev.moratorium.app;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.config.MoratoriumSettingsBounds;
import dev.moratorium.webhook.WebhookSettings;
import dev.moratorium.webhook.WebhookSettingsBounds;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Fails the start, naming every setting out of its range, before anything that reads them starts:
 * it observes the start first of all (the messaging connectors start at priority 1000, our own
 * observers at the default 2500).
 */
@ApplicationScoped
public class SettingsCheck {

    @Inject
    MoratoriumConfig config;

    @Inject
    WebhookSettings webhooks;

    void check(@Observes @Priority(1) StartupEvent event) {
        MoratoriumSettingsBounds.of(config).add(WebhookSettingsBounds.of(webhooks)).enforce();
    }
}
