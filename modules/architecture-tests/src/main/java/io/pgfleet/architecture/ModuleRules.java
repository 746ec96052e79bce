package io.pgfleet.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Rules on the {@code module-info} declarations: the JPMS side of the hexagon.
 */
public final class ModuleRules {

    private ModuleRules() {
    }

    /**
     * The domain module requires nothing but {@code java.base}.
     *
     * @param domain the domain's module descriptor
     * @return the violations, empty when the rule holds
     */
    public static List<String> domainRequiresNothing(ModuleDescriptor domain) {
        return domain.requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .filter(name -> !name.equals("java.base"))
                .map(name -> domain.name() + " requires " + name + ", but the domain requires nothing")
                .toList();
    }

    /**
     * The application requires the domain transitively, nothing else beyond {@code java.base}, and
     * exports its ports to everyone and its services only to the composition root.
     *
     * @param application     the application's module descriptor
     * @param domainModule    the domain's module name
     * @param compositionRoot the composition root's module name
     * @return the violations, empty when the rule holds
     */
    public static List<String> applicationExposesOnlyPorts(ModuleDescriptor application, String domainModule,
                                                           String compositionRoot) {
        List<String> violations = new ArrayList<>();
        for (ModuleDescriptor.Requires r : application.requires()) {
            if (r.name().equals("java.base")) {
                continue;
            }
            if (!r.name().equals(domainModule)) {
                violations.add(application.name() + " requires " + r.name() + "; the application depends on the domain only");
            } else if (!r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)) {
                violations.add(application.name() + " must require " + domainModule + " transitively");
            }
        }
        for (ModuleDescriptor.Exports e : application.exports()) {
            boolean port = e.source().contains(".port.");
            if (!port && !(e.isQualified() && e.targets().equals(Set.of(compositionRoot)))) {
                violations.add(application.name() + " exports " + e.source()
                        + (e.isQualified() ? " to " + e.targets() : " to everyone")
                        + "; only ports are public, services go to " + compositionRoot + " alone");
            }
        }
        return violations;
    }

    /**
     * An adapter module never requires another adapter module.
     *
     * @param adapter        the adapter's descriptor
     * @param adapterModules the names of all adapter modules
     * @return the violations, empty when the rule holds
     */
    public static List<String> adapterRequiresNoOtherAdapter(ModuleDescriptor adapter, Set<String> adapterModules) {
        Set<String> others = adapterModules.stream().filter(m -> !m.equals(adapter.name())).collect(Collectors.toSet());
        return adapter.requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .filter(others::contains)
                .map(name -> adapter.name() + " requires the adapter " + name)
                .toList();
    }

    /**
     * The agent is a hexagon of its own: it may share libraries with the server, never require one
     * of the server's adapter modules (nor the server itself).
     *
     * @param agent the agent's module descriptor
     * @return one line per violation
     */
    public static List<String> agentRequiresNoServerAdapter(ModuleDescriptor agent) {
        return agent.requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .filter(name -> name.startsWith("io.pgfleet.adapter") || name.equals("io.pgfleet.server"))
                .map(name -> agent.name() + " requires the server module " + name)
                .toList();
    }

    private static final Pattern MODULE_ENTRY = Pattern.compile("<module>([^<]+)</module>");

    /**
     * Every Maven module of the build is a named module: its main sources declare a
     * {@code module-info.java}, so its boundaries are checked by the compiler. A module without main
     * sources (nothing to declare) passes.
     *
     * @param root the folder of the aggregating {@code pom.xml}
     * @return one line per Maven module whose main sources have no {@code module-info.java}
     */
    public static List<String> everyMavenModuleIsNamed(Path root) {
        String pom;
        try {
            pom = Files.readString(root.resolve("pom.xml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> violations = new ArrayList<>();
        Matcher entry = MODULE_ENTRY.matcher(pom);
        while (entry.find()) {
            String module = entry.group(1).trim();
            Path sources = root.resolve(module).resolve("src/main/java");
            if (Files.isDirectory(sources) && !Files.isRegularFile(sources.resolve("module-info.java"))) {
                violations.add(module + " has main sources but no module-info.java");
            }
        }
        return violations;
    }
}
