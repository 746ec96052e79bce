package io.pgfleet.architecture;

import io.pgfleet.adapter.in.http.HttpApi;
import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.adapter.out.security.JwtAccessTokens;
import io.pgfleet.agent.core.AgentCore;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.domain.config.ConfigVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The module-info declarations, read from the compiled modules. */
class ModuleRulesTest {

    private static final Set<String> ADAPTERS = Set.of("io.pgfleet.adapter.in.http", "io.pgfleet.adapter.out.postgres",
            "io.pgfleet.adapter.out.security");

    static ModuleDescriptor descriptorOf(Class<?> type) throws IOException, URISyntaxException {
        Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(location)) {
            try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
                return ModuleDescriptor.read(in);
            }
        }
        try (JarFile jar = new JarFile(location.toFile()); InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void theDomainModuleRequiresNothing() throws Exception {
        ModuleDescriptor domain = descriptorOf(ConfigVersion.class);
        assertEquals("io.pgfleet.domain", domain.name());
        assertEquals(java.util.List.of(), ModuleRules.domainRequiresNothing(domain));
    }

    @Test
    void theApplicationExposesOnlyItsPorts() throws Exception {
        ModuleDescriptor application = descriptorOf(PublishConfigUseCase.class);
        assertEquals(java.util.List.of(),
                ModuleRules.applicationExposesOnlyPorts(application, "io.pgfleet.domain", "io.pgfleet.server"));
    }

    @Test
    void adaptersRequireNoOtherAdapter() throws Exception {
        for (Class<?> type : new Class<?>[] {HttpApi.class, PostgresStorage.class, JwtAccessTokens.class}) {
            ModuleDescriptor adapter = descriptorOf(type);
            assertEquals(java.util.List.of(), ModuleRules.adapterRequiresNoOtherAdapter(adapter, ADAPTERS), adapter.name());
        }
    }

    @Test
    void theAgentRequiresNoServerAdapter() throws Exception {
        ModuleDescriptor agent = descriptorOf(AgentCore.class);
        assertEquals("io.pgfleet.agent", agent.name());
        assertEquals(java.util.List.of(), ModuleRules.agentRequiresNoServerAdapter(agent));
        assertFalse(agent.requires().stream().noneMatch(r -> r.name().equals("io.pgfleet.toml")),
                "the agent reads TOML through the shared library");
    }

    @Test
    void anAgentRequiringAServerAdapterIsCaught() {
        ModuleDescriptor bad = ModuleDescriptor.newModule("io.pgfleet.agent").requires("io.pgfleet.adapter.out.postgres").build();
        assertEquals(java.util.List.of("io.pgfleet.agent requires the server module io.pgfleet.adapter.out.postgres"),
                ModuleRules.agentRequiresNoServerAdapter(bad));
    }

    @Test
    void aDomainRequiringHelidonIsCaught() {
        ModuleDescriptor bad = ModuleDescriptor.newModule("io.pgfleet.domain").requires("io.helidon.webserver").build();
        assertFalse(ModuleRules.domainRequiresNothing(bad).isEmpty());
    }

    @Test
    void anApplicationExportingItsServicesOrRequiringJdbcIsCaught() {
        ModuleDescriptor leaky = ModuleDescriptor.newModule("io.pgfleet.application")
                .requires(Set.of(ModuleDescriptor.Requires.Modifier.TRANSITIVE), "io.pgfleet.domain")
                .exports("io.pgfleet.application.port.in")
                .exports("io.pgfleet.application.service")
                .packages(Set.of("io.pgfleet.application.port.in", "io.pgfleet.application.service"))
                .build();
        assertFalse(ModuleRules.applicationExposesOnlyPorts(leaky, "io.pgfleet.domain", "io.pgfleet.server").isEmpty());
        ModuleDescriptor jdbc = ModuleDescriptor.newModule("io.pgfleet.application")
                .requires(Set.of(ModuleDescriptor.Requires.Modifier.TRANSITIVE), "io.pgfleet.domain")
                .requires("java.sql")
                .build();
        assertFalse(ModuleRules.applicationExposesOnlyPorts(jdbc, "io.pgfleet.domain", "io.pgfleet.server").isEmpty());
        ModuleDescriptor intransitive = ModuleDescriptor.newModule("io.pgfleet.application")
                .requires("io.pgfleet.domain").build();
        assertFalse(ModuleRules.applicationExposesOnlyPorts(intransitive, "io.pgfleet.domain", "io.pgfleet.server").isEmpty());
    }

    @Test
    void anAdapterRequiringAnotherAdapterIsCaught() {
        ModuleDescriptor bad = ModuleDescriptor.newModule("io.pgfleet.adapter.in.http")
                .requires("io.pgfleet.adapter.out.postgres").build();
        assertFalse(ModuleRules.adapterRequiresNoOtherAdapter(bad, ADAPTERS).isEmpty());
    }

    @Test
    void everyMavenModuleIsANamedModule() {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("modules/domain"))) {
            root = root.getParent();
            assertTrue(root != null, "the build's root folder is above the working directory");
        }
        assertEquals(java.util.List.of(), ModuleRules.everyMavenModuleIsNamed(root));
    }

    @Test
    void aMavenModuleWithoutModuleInfoIsCaught(@TempDir Path root) throws IOException {
        Files.writeString(root.resolve("pom.xml"), "<modules><module>modules/named</module>"
                + "<module>modules/plain</module><module>modules/resources-only</module></modules>");
        Files.createDirectories(root.resolve("modules/named/src/main/java"));
        Files.writeString(root.resolve("modules/named/src/main/java/module-info.java"), "module named {}");
        Files.createDirectories(root.resolve("modules/plain/src/main/java/p"));
        Files.createDirectories(root.resolve("modules/resources-only/src/main/resources"));
        assertEquals(java.util.List.of("modules/plain has main sources but no module-info.java"),
                ModuleRules.everyMavenModuleIsNamed(root));
    }
}
