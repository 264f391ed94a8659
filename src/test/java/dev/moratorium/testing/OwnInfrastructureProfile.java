package dev.moratorium.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * A profile whose application gets a broker and a database of its own, started by
 * {@link EmbeddedInfrastructureResource} with the given settings (a SASL listener, a wrong
 * password, no token key) instead of the shared infrastructure every other test uses.
 */
public abstract class OwnInfrastructureProfile implements QuarkusTestProfile {

    private final Map<String, String> infrastructure;

    protected OwnInfrastructureProfile(Map<String, String> infrastructure) {
        this.infrastructure = Map.copyOf(infrastructure);
    }

    @Override
    public boolean disableGlobalTestResources() {
        return true;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(EmbeddedInfrastructureResource.class, infrastructure));
    }
}
