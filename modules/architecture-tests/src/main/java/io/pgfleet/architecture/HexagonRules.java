package io.pgfleet.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchRule;

import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layer boundaries of the hexagon, for a given root package ({@code io.pgfleet} in the product).
 *
 * <ul>
 *   <li>the domain depends on nothing outside itself and the pure parts of the JDK (no I/O, files,
 *       network, threads);</li>
 *   <li>the application depends only on the domain;</li>
 *   <li>domain and application never see Helidon, JDBC, Flyway, tomlj, the PostgreSQL driver or JSON-P;</li>
 *   <li>adapters (and the agent) never depend on each other, nor on the use-case implementations;</li>
 *   <li>no package cycles;</li>
 *   <li>incoming ports are named {@code …UseCase} or {@code …Query}, outgoing ports {@code …Port};</li>
 *   <li>outgoing ports never use incoming-port types;</li>
 *   <li>everything in the service package is package-private but its factory and settings.</li>
 * </ul>
 */
public final class HexagonRules {

    /** Technology no core class may touch. */
    public static final List<String> TECHNOLOGY = List.of(
            "io.helidon..", "java.sql..", "javax.sql..", "org.flywaydb..", "org.tomlj..", "org.postgresql..",
            "jakarta..", "io.zonky..", "com.zaxxer..", "io.micrometer..");

    /**
     * The parts of the JDK a pure model may use: the language, collections, time, numbers, text
     * encodings and digests. Not I/O, files, networks, threads, reflection-based frameworks or JDBC.
     */
    public static final List<String> DOMAIN_JDK = List.of(
            "java.lang", "java.lang.invoke", "java.lang.runtime", "java.util", "java.util.function",
            "java.util.regex", "java.util.random", "java.util.stream", "java.time..", "java.math..",
            "java.nio.charset", "java.security");

    /** Sealed interfaces in a port package are outcome types, not ports. */
    private static final DescribedPredicate<JavaClass> NOT_SEALED =
            DescribedPredicate.describe("are not sealed", c -> !c.reflect().isSealed());

    private final String root;

    /**
     * Rules for the packages under {@code root}.
     *
     * @param root the root package, e.g. {@code io.pgfleet}
     */
    public HexagonRules(String root) {
        this.root = root;
    }

    /**
     * Every rule, for a test that checks them all.
     *
     * @return the rules
     */
    public List<ArchRule> all() {
        return List.of(domainIsPure(), applicationDependsOnlyOnDomain(), coreIsFreeOfTechnology(),
                adaptersAreIndependent(), adaptersUsePortsNotServices(), noPackageCycles(),
                incomingPortsAreUseCasesOrQueries(), outgoingPortsEndWithPort(), outgoingPortsNeverUseIncomingPorts(),
                servicesArePackagePrivate(), agentUsesNoServerAdapter());
    }

    /** @return the domain depends only on itself and the pure parts of the JDK ({@link #DOMAIN_JDK}) */
    public ArchRule domainIsPure() {
        List<String> allowed = new java.util.ArrayList<>(DOMAIN_JDK);
        allowed.add(root + ".domain..");
        return classes().that().resideInAPackage(root + ".domain..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(allowed.toArray(String[]::new))
                .as("the domain depends on nothing but itself and the language, collections, time, numbers and digests of the JDK");
    }

    /** @return the application depends only on the domain */
    public ArchRule applicationDependsOnlyOnDomain() {
        return classes().that().resideInAPackage(root + ".application..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(root + ".application..", root + ".domain..", "java..")
                .as("the application depends on the domain only");
    }

    /** @return domain and application never see frameworks, drivers or parsers */
    public ArchRule coreIsFreeOfTechnology() {
        return noClasses().that().resideInAnyPackage(root + ".domain..", root + ".application..")
                .should().dependOnClassesThat().resideInAnyPackage(TECHNOLOGY.toArray(String[]::new))
                .as("domain and application never depend on Helidon, JDBC, Flyway, tomlj or other technology");
    }

    /** @return adapters, and the agent, never depend on one another */
    public ArchRule adaptersAreIndependent() {
        return slices().matching(root + ".(adapter.*.*)..")
                .should().notDependOnEachOther()
                .as("adapters never depend on each other");
    }

    /** @return adapters reach the application only through its ports */
    public ArchRule adaptersUsePortsNotServices() {
        return noClasses().that().resideInAnyPackage(root + ".adapter..", root + ".agent..")
                .should().dependOnClassesThat().resideInAPackage(root + ".application.service..")
                .as("adapters use the application's ports, never its services");
    }

    /** @return the agent is a hexagon of its own: it shares libraries with the server, never its adapters */
    public ArchRule agentUsesNoServerAdapter() {
        return noClasses().that().resideInAPackage(root + ".agent..")
                .should().dependOnClassesThat().resideInAnyPackage(root + ".adapter..", root + ".server..")
                .as("the agent imports no server adapter (what both need lives in a shared library such as "
                        + root + ".toml)");
    }

    /** @return no cycles between packages */
    public ArchRule noPackageCycles() {
        return slices().matching(root + ".(**)").should().beFreeOfCycles()
                .as("packages are free of cycles");
    }

    /** @return incoming ports are named after what they do for the caller */
    public ArchRule incomingPortsAreUseCasesOrQueries() {
        return classes().that().resideInAPackage(root + ".application.port.in..").and().areInterfaces().and().doNotHaveSimpleName("package-info")
                .and(NOT_SEALED).and().areTopLevelClasses()
                .should().haveSimpleNameEndingWith("UseCase").orShould().haveSimpleNameEndingWith("Query")
                .as("incoming ports are named …UseCase or …Query (top-level, sealed result types aside)");
    }

    /** @return outgoing ports are named …Port */
    public ArchRule outgoingPortsEndWithPort() {
        return classes().that().resideInAPackage(root + ".application.port.out..").and().areInterfaces().and().doNotHaveSimpleName("package-info")
                .and(NOT_SEALED).and().areTopLevelClasses()
                .should().haveSimpleNameEndingWith("Port")
                .as("outgoing ports are named …Port (top-level, sealed result types aside)");
    }

    /**
     * Outgoing ports describe what the application needs from the outside world in the domain's
     * terms; an incoming port's type in their signature would tie adapters to the use cases.
     *
     * @return outgoing ports never depend on incoming ports
     */
    public ArchRule outgoingPortsNeverUseIncomingPorts() {
        return noClasses().that().resideInAPackage(root + ".application.port.out..")
                .should().dependOnClassesThat().resideInAPackage(root + ".application.port.in..")
                .as("outgoing ports never use incoming-port types");
    }

    /**
     * Use-case implementations are hidden behind their ports: every class in the service package is
     * package-private, whatever its name, except the one factory the composition root calls
     * ({@code …Factory}, with its builder) and the plain settings records it takes ({@code …Settings}).
     *
     * @return the service package exposes only its factory and settings
     */
    public ArchRule servicesArePackagePrivate() {
        return classes().that().resideInAPackage(root + ".application.service..")
                .and(DescribedPredicate.describe("are not the factory, its builder or settings",
                        (JavaClass c) -> !isFactoryOrSettings(c)))
                .should().notBePublic()
                .andShould().haveModifier(JavaModifier.FINAL).orShould().beInterfaces()
                .as("the service package exposes only its …Factory and …Settings; everything else is package-private"
                        + " and final");
    }

    private static boolean isFactoryOrSettings(JavaClass c) {
        JavaClass top = c;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top.getSimpleName().endsWith("Factory") || top.getSimpleName().endsWith("Settings");
    }

}
