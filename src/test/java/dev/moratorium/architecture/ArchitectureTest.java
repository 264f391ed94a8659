package dev.moratorium.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph over the compiled classes: no cycle between the service's packages, a pure
 * domain core, and each layer importing only what lies below it:
 *
 * <pre>
 *   app                      composition root: start-up, shutdown order, banner
 *   api  ops                 HTTP resources and operations
 *   security  readmodel      who may call what; the access index
 *   ingest  clock  webhook   Kafka in; time-driven changes; webhook deliveries
 *   write                    the one unit of work every writer goes through
 *   outbox                   outbox rows and the relay that publishes them
 *   store                    Panache entities and queries
 *   config                   typed settings (@ConfigMapping), importing nothing of ours
 *   wire  embedded           what travels (raw records, JSON, topic names); dev/test infrastructure
 *   policy                   the domain: plain Java
 * </pre>
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.moratorium");
    }

    @Test
    void packagesFormNoCycle() {
        slices().matching("dev.moratorium.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theDomainIsPlainJava() {
        noClasses().that().resideInAPackage("dev.moratorium.policy..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.moratorium.policy..", "java..")
                .because("the domain core has no framework imports: every rule is plain Java, tested as a table")
                .check(classes);
    }

    @Test
    void lowerLayersNeverImportHigherOnes() {
        String[] order = {"policy", "wire", "config", "store", "outbox", "write", "ingest", "clock", "webhook",
            "readmodel", "security", "api", "ops", "app"};
        for (int i = 0; i < order.length; i++) {
            String[] higher = java.util.Arrays.copyOfRange(order, i + 1, order.length);
            if (higher.length > 0) {
                layer(order[i], higher);
            }
        }
        layer("embedded", "store", "outbox", "write", "ingest", "clock", "webhook", "readmodel", "security",
                "api", "ops", "app");
    }

    private static void layer(String lower, String... higher) {
        String[] packages = new String[higher.length];
        for (int i = 0; i < higher.length; i++) {
            packages[i] = "dev.moratorium." + higher[i] + "..";
        }
        noClasses().that().resideInAPackage("dev.moratorium." + lower + "..")
                .should().dependOnClassesThat().resideInAnyPackage(packages)
                .check(classes);
    }
}
