package io.pgfleet.architecture;

import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
}
