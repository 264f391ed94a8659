package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.lang.reflect.Method;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.extensions.Extension;
import org.junit.jupiter.api.Test;

class QueryParametersTest {

    @SuppressWarnings("unused")
    static final class Endpoints {
        public String decide(@QueryParam("vendor") String vendor, @QueryParam("asOf") String asOf,
                @PathParam("policyId") String policyId) {
            return "";
        }

        public String none() {
            return "";
        }

        @Extension(name = QueryParameters.ANY_QUERY, value = "true")
        public String ping() {
            return "";
        }
    }

    private static Method method(String name) throws NoSuchMethodException {
        for (Method m : Endpoints.class.getMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new NoSuchMethodException(name);
    }

    @Test
    void theNamesTakenAreTheQueryParametersInTheirOrder() throws Exception {
        assertThat(QueryParameters.queryParameters(method("decide"))).containsExactly("vendor", "asOf");
        assertThat(QueryParameters.queryParameters(method("none"))).isEmpty();
        // the exemption is told apart from a method that takes none
        assertThat(QueryParameters.queryParameters(method("ping")))
                .isNotSameAs(QueryParameters.queryParameters(method("none")));
    }

    @Test
    void theSentenceNamesWhatIsTakenAndACaseSlip() throws Exception {
        Set<String> taken = QueryParameters.queryParameters(method("decide"));
        assertThat(QueryParameters.unknown("asof", taken))
                .isEqualTo("unknown parameter \"asof\"; did you mean \"asOf\"? this endpoint takes vendor, asOf");
        assertThat(QueryParameters.unknown("organisation", taken))
                .isEqualTo("unknown parameter \"organisation\"; this endpoint takes vendor, asOf");
        assertThat(QueryParameters.unknown("x", Set.of())).isEqualTo("unknown parameter \"x\"; this endpoint takes none");
        // a name is quoted as any other text in a message: control characters escaped
        assertThat(QueryParameters.unknown("a\u0000b", Set.of())).doesNotContain("\u0000");
    }
}
