package io.pgfleet.server;

import io.pgfleet.testing.PathPrefixProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.WebElement;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console behind a reverse proxy that mounts the server under a path prefix, as operators
 * deploy internal tools ({@code https://ops.example/pgfleet/} → the server's {@code /}): the
 * redirect to the console's folder, its files, the login, the fleet view, a collector's history
 * read on through the body's {@code next}, and the logout all go through the prefix. The proxy is a
 * real HTTP server in front of the real one; it forwards what is under {@code /pgfleet} with the
 * prefix taken off and answers anything else {@code 404}, as a proxy with only that location does.
 */
class ConsolePathPrefixIT {

    private static final String PREFIX = "/pgfleet";
    /** More versions than a history page of 20 holds: the console reads on through {@code next}. */
    private static final int VERSIONS = 23;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static PathPrefixProxy proxy;
    private static Optional<ConsoleBrowser> browser;
    private static String collector;

    @BeforeAll
    static void serverBehindAPrefix() throws IOException {
        proxy = PathPrefixProxy.start(PREFIX, SERVER.port());
        browser = ConsoleBrowser.start(proxy.port());
        if (browser.isEmpty()) {
            return;
        }
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "behind-proxy", "{\"env\":\"prod\"}");
        collector = agent.subject();
        for (int v = 1; v <= VERSIONS; v++) {
            HttpResponse<String> r = SERVER.admin().putToml("/api/v1/config/" + collector,
                    Documents.aDocument().pushInterval(10 + v).toml(), "X-Change-Message", "version " + v);
            assertEquals(201, r.statusCode(), r.body());
        }
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.ifPresent(ConsoleBrowser::close);
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void theConsoleWorksUnchangedUnderAReverseProxysPathPrefix() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();

        // The folder without its slash: the server's redirect keeps the prefix.
        b.open(PREFIX + "/ui");
        b.awaitElement("#login-form");
        assertEquals(b.base() + PREFIX + "/ui/", b.driver().getCurrentUrl());

        b.awaitElement("#username").sendKeys("admin");
        b.awaitElement("#password").sendKeys(ServerSettings.TEST_ADMIN_PASSWORD);
        b.awaitElement("#login-button").click();

        // The fleet view.
        WebElement row = b.awaitElement("#fleet-rows tr[data-id='" + collector + "']");
        assertTrue(row.getText().contains("behind-proxy"), row.getText());

        // The collector's history: the first page, then the older versions through the body's next.
        b.go("#/collector/" + collector);
        b.awaitElement("#history-table tr[data-version='" + VERSIONS + "']");
        b.awaitElement("#history-more").click();
        b.awaitElement("#history-table tr[data-version='1']");
        assertEquals(VERSIONS, b.all("#history-table tr[data-version]").size());

        b.awaitElement("#logout").click();
        b.awaitElement("#login-form");
        b.await(d -> proxy.forwarded().contains("POST /api/v1/auth/logout 204"));

        // Every request of the browser went under the prefix; the libraries and the API included.
        assertEquals(List.of(), proxy.outsidePrefix(), "requests the proxy could not forward");
        List<String> forwarded = proxy.forwarded();
        for (String expected : List.of("GET /ui 301", "GET /ui/ 200", "GET /ui/console.js 200", "GET /ui/vendor/codemirror/lib/codemirror.js 200",
                "GET /ui/vendor/uplot/dist/uPlot.iife.min.js 200", "POST /api/v1/auth/login 200")) {
            assertTrue(forwarded.contains(expected), expected + " in " + forwarded);
        }
        assertTrue(forwarded.stream().anyMatch(f -> f.startsWith("GET /api/v1/config/" + collector + "/versions?limit=20&before=")
                && f.endsWith(" 200")), forwarded.toString());
    }
}
