package dev.moratorium.testing;

import io.quarkus.test.common.QuarkusTestResource;

/**
 * Every {@code @QuarkusTest} runs against the embedded real broker and database (a test resource
 * applies to all tests of the module unless restricted).
 */
@QuarkusTestResource(EmbeddedInfrastructureResource.class)
public final class RealInfrastructure {

    private RealInfrastructure() {
    }
}
