package dev.moratorium.app;

import dev.moratorium.config.MoratoriumConfig;
import dev.moratorium.ingest.PolicyChangeReader;
import dev.moratorium.policy.PolicyDecider;
import dev.moratorium.policy.TimeDrivenChanges;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The pure domain objects, configured and handed to the adapters. */
public class DomainBeans {

    @Produces
    @Singleton
    PolicyDecider decider(MoratoriumConfig config) {
        return new PolicyDecider(new TimeDrivenChanges(config.reminders()));
    }

    @Produces
    @Singleton
    PolicyChangeReader reader() {
        return new PolicyChangeReader();
    }
}
