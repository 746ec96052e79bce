package io.pgfleet.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HexagonRulesTest {

    private static JavaClasses product;
    private static JavaClasses fixtures;

    @BeforeAll
    static void importClasses() {
        product = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.pgfleet");
        fixtures = new ClassFileImporter().importPackages("io.pgfleet.archfixture");
    }

    @Test
    void theProductIsReallyImported() {
        for (String pkg : new String[] {"io.pgfleet.domain.config", "io.pgfleet.application.port.in",
                "io.pgfleet.application.service", "io.pgfleet.adapter.in.http", "io.pgfleet.adapter.out.postgres", "io.pgfleet.adapter.out.security", "io.pgfleet.domain.access",
                "io.pgfleet.domain.schema",
                "io.pgfleet.server", "io.pgfleet.agent", "io.pgfleet.agent.core", "io.pgfleet.toml"}) {
            assertTrue(product.stream().anyMatch(c -> c.getPackageName().equals(pkg)), "no classes imported from " + pkg);
        }
        assertTrue(product.stream().noneMatch(c -> c.getPackageName().startsWith("io.pgfleet.archfixture")),
                "fixtures must not be part of the product check");
    }

    @Test
    void theProductHoldsEveryRule() {
        HexagonRules rules = new HexagonRules("io.pgfleet");
        assertEquals(11, rules.all().size());
        rules.all().forEach(rule -> rule.check(product));
    }

    static Stream<Arguments> rulesAndTheirViolators() {
        return Stream.of(
                Arguments.of("domainIsPure", (Function<HexagonRules, ArchRule>) HexagonRules::domainIsPure, "LeakyRevision"),
                Arguments.of("domainIsPure (JDK I/O)", (Function<HexagonRules, ArchRule>) HexagonRules::domainIsPure, "FileReadingPolicy"),
                Arguments.of("outgoingPortsNeverUseIncomingPorts",
                        (Function<HexagonRules, ArchRule>) HexagonRules::outgoingPortsNeverUseIncomingPorts, "LoadThingPort"),
                Arguments.of("applicationDependsOnlyOnDomain",
                        (Function<HexagonRules, ArchRule>) HexagonRules::applicationDependsOnlyOnDomain, "PublicThingService"),
                Arguments.of("coreIsFreeOfTechnology",
                        (Function<HexagonRules, ArchRule>) HexagonRules::coreIsFreeOfTechnology, "LeakyRevision"),
                Arguments.of("adaptersAreIndependent",
                        (Function<HexagonRules, ArchRule>) HexagonRules::adaptersAreIndependent, "ThingHttpService"),
                Arguments.of("adaptersUsePortsNotServices",
                        (Function<HexagonRules, ArchRule>) HexagonRules::adaptersUsePortsNotServices, "ThingHttpService"),
                Arguments.of("noPackageCycles", (Function<HexagonRules, ArchRule>) HexagonRules::noPackageCycles, "cycle"),
                Arguments.of("incomingPortsAreUseCasesOrQueries",
                        (Function<HexagonRules, ArchRule>) HexagonRules::incomingPortsAreUseCasesOrQueries, "FetchThing"),
                Arguments.of("outgoingPortsEndWithPort",
                        (Function<HexagonRules, ArchRule>) HexagonRules::outgoingPortsEndWithPort, "ThingRepository"),
                Arguments.of("servicesArePackagePrivate",
                        (Function<HexagonRules, ArchRule>) HexagonRules::servicesArePackagePrivate, "PublicThingService"),
                Arguments.of("servicesArePackagePrivate (any name)",
                        (Function<HexagonRules, ArchRule>) HexagonRules::servicesArePackagePrivate, "ThingHelper"),
                Arguments.of("agentUsesNoServerAdapter",
                        (Function<HexagonRules, ArchRule>) HexagonRules::agentUsesNoServerAdapter, "ThingAgent"));
    }

    @ParameterizedTest(name = "{0} fails on {2}")
    @MethodSource("rulesAndTheirViolators")
    void everyRuleFailsOnAViolatingFixture(String name, Function<HexagonRules, ArchRule> rule, String violator) {
        EvaluationResult result = rule.apply(new HexagonRules("io.pgfleet.archfixture")).evaluate(fixtures);
        assertTrue(result.hasViolation(), name + " found no violation in the fixtures");
        String report = result.getFailureReport().toString();
        assertTrue(report.contains(violator), name + " should blame " + violator + ":\n" + report);
    }

    @Test
    void theServicePackageMayExposeItsFactory() {
        String report = new HexagonRules("io.pgfleet.archfixture").servicesArePackagePrivate().evaluate(fixtures)
                .getFailureReport().toString();
        assertTrue(!report.contains("ThingFactory"), "the factory is allowed:\n" + report);
    }
}
