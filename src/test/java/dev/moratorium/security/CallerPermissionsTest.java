package dev.moratorium.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Who may do what, as a table: method, path, the caller's roles, restrict-reads, allowed. */
class CallerPermissionsTest {

    @ParameterizedTest(name = "{0} {1} as [{2}], restrict-reads={3}: {4}")
    @CsvSource(delimiter = '|', textBlock = """
            # writes need moratorium-admin, whatever the path and the read setting
            POST    | /rejections/1/retry |                                     | false | false
            POST    | /rejections/1/retry | moratorium-viewer                   | false | false
            POST    | /rejections/1/retry | moratorium-viewer moratorium-other  | true  | false
            POST    | /rejections/1/retry | moratorium-admin                    | false | true
            POST    | /rejections/1/retry | moratorium-admin                    | true  | true
            PUT     | /moratoria/x        | moratorium-viewer                   | false | false
            DELETE  | /moratoria/x        |                                     | false | false
            PATCH   | /rejections/1       |                                     | false | false
            TRACE   | /moratoria          |                                     | false | false
            FOO     | /moratoria          |                                     | false | false
            post    | /rejections/1/retry | moratorium-viewer                   | false | false
            # a probe path does not open a write
            POST    | /q/health           |                                     | false | false
            POST    | /q/health/ready     | moratorium-viewer                   | true  | false
            # reads are open by default
            GET     | /moratoria          |                                     | false | true
            GET     | /access             |                                     | false | true
            HEAD    | /                   |                                     | false | true
            OPTIONS | /rejections         |                                     | false | true
            get     | /notifications      |                                     | false | true
            # restricted reads: viewer or admin
            GET     | /moratoria          |                                     | true  | false
            GET     | /access             | moratorium-other                    | true  | false
            GET     | /                   |                                     | true  | false
            GET     | /index.html         |                                     | true  | false
            GET     | /q/openapi          |                                     | true  | false
            GET     | /ops/status         | MORATORIUM-VIEWER                   | true  | false
            GET     | /rejections         | moratorium-viewer                   | true  | true
            GET     | /notifications      | moratorium-admin                    | true  | true
            # health and metrics are open even then
            GET     | /q/health           |                                     | true  | true
            GET     | /q/health/ready     |                                     | true  | true
            GET     | /q/health/live      |                                     | true  | true
            GET     | /q/metrics          |                                     | true  | true
            GET     | /q/healthy          |                                     | true  | false
            GET     | /q/metrics-secret   |                                     | true  | false
            GET     | /x/q/health         |                                     | true  | false
            """)
    void permits(String method, String path, String roles, boolean restrictReads, boolean allowed) {
        Set<String> roleSet = roles == null ? Set.of() : Set.copyOf(Arrays.asList(roles.trim().split("\\s+")));
        assertThat(CallerPermissions.permits(method, path, roleSet, restrictReads)).isEqualTo(allowed);
    }
}
