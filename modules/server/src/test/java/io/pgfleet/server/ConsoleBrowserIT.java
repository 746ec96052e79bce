package io.pgfleet.server;

import io.pgfleet.application.service.UseCaseFactory;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console in a real browser (headless Chromium) against a real server: an operator finds an
 * out-of-sync collector, reads its diff, has an invalid document refused at the right line, fixes
 * and publishes it, meets a concurrent change (412), and rolls back; stages a rollout and steers
 * it through its waves to an abort; logs out while a token refresh is on its way; stays logged in
 * through refreshes the server postpones (429, 503) or does not answer (stopped and started again on
 * its port) and not through one it refuses; a viewer sees no
 * write control; a collector cannot log in; hostile names, labels, messages and documents stay text.
 * One browser and one server for the class. The same steps take the pictures of docs/console.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

    /** Short-lived access tokens: every step after the first ten seconds runs on tokens the console refreshed. */
    private static final Duration ACCESS_TOKEN_TTL = Duration.ofSeconds(10);

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withAccessTokenTtl(ACCESS_TOKEN_TTL)
            .withRollouts(s.rollouts().withTick(Duration.ofMillis(100)).withLease(Duration.ofSeconds(2))));

    private static final String VIEWER_PASSWORD = "viewer-password-long";
    /** Script that would set window.__pwned if any of it ran; nothing of it may. */
    private static final String HOSTILE_NAME = "<img src=x onerror=\"window.__pwned='name'\">";
    private static final String HOSTILE_LABEL = "<script>window.__pwned='label'</script>";
    private static final String HOSTILE_MESSAGE = "<svg onload=\"window.__pwned='message'\">";
    private static final String HOSTILE_ERROR = "<iframe src=\"javascript:window.__pwned='error'\"></iframe>";
    private static final String HOSTILE_COMMENT = "# </pre><script>window.__pwned='toml'</script>";

    private static Optional<ConsoleBrowser> browser;
    private static ApiClient admin;
    private static Instant adminUntil = Instant.MIN;
    private static String drifting;
    private static String hostile;
    private static Agent canary;
    private static Agent webTwo;
    private static String asleep;
    private static int pageLoads;

    @BeforeAll
    static void fleet() {
        browser = ConsoleBrowser.start(SERVER.port());
        if (browser.isEmpty()) {
            return;
        }
        assertEquals(201, admin().postJson("/api/v1/users", "{\"username\":\"vera\",\"password\":\"" + VIEWER_PASSWORD
                + "\",\"role\":\"viewer\"}").statusCode());

        // An out-of-sync collector: it applied version 1, version 2 is published.
        ApiClient agent = register("{\"name\":\"db-drift\",\"labels\":{\"env\":\"prod\",\"region\":\"eu\"}}");
        drifting = idOf(agent);
        publish(drifting, aDocument(10), "first settings");
        report(agent, drifting, 1, "APPLIED", "");
        publish(drifting, aDocument(20), "faster pushes");
        pushSamples(agent);

        // A collector whose every field shown by the console is hostile.
        ApiClient evil = register("{\"name\":" + json(HOSTILE_NAME) + ",\"labels\":{\"env\":\"prod\",\"team\":\"none-yet\"}}");
        hostile = idOf(evil);
        // Today's label rule refuses such a value; an earlier release stored it, and the console shows
        // what is stored.
        try (java.sql.Connection c = SERVER.database().connect();
             java.sql.PreparedStatement st = c.prepareStatement(
                     "UPDATE collectors SET labels = jsonb_build_object('env', 'prod', 'team', ?::text) WHERE id = ?")) {
            st.setString(1, HOSTILE_LABEL);
            st.setString(2, hostile);
            assertEquals(1, st.executeUpdate());
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        publish(hostile, HOSTILE_COMMENT + "\n" + aDocument(30), HOSTILE_MESSAGE);
        report(evil, hostile, 1, "FAILED", HOSTILE_ERROR);
        HttpResponse<String> pushed = evil.postJson("/api/v1/metrics/push", "{\"batch_id\":\"hostile-batch\",\"samples\":[{\"name\":\"pg_up\","
                + "\"labels\":{\"db\":" + json(HOSTILE_LABEL) + "},\"value\":1,\"ts\":\"" + Instant.now().minusSeconds(30) + "\"}]}");
        assertEquals(202, pushed.statusCode(), pushed.body());
        assertEquals(201, admin().postJson("/api/v1/groups", "{\"id\":\"odd\",\"selector\":{\"team\":\"none\"},"
                + "\"description\":" + json(HOSTILE_NAME) + "}").statusCode());

        // A fleet layer and a group, for their pages.
        assertEquals(201, admin().putToml("/api/v1/fleet/config", "[collector]\npush_interval = 60\n", "X-Change-Message", "fleet default")
                .statusCode());
        assertEquals(201, admin().postJson("/api/v1/groups", "{\"id\":\"prod\",\"selector\":{\"env\":\"prod\"},\"priority\":10,"
                + "\"description\":\"production databases\"}").statusCode());
        assertEquals(201, admin().putToml("/api/v1/groups/prod/config", "[collectors.pg_stats]\ninterval = 15\n").statusCode());

        // A group of two for staged rollouts: a canary goes first.
        assertEquals(201, admin().postJson("/api/v1/groups", "{\"id\":\"web\",\"selector\":{\"tier\":\"web\"}}").statusCode());
        assertEquals(201, admin().putToml("/api/v1/groups/web/config", "[collector]\npush_interval = 30\n").statusCode());
        canary = Agent.register("web-canary", "{\"tier\":\"web\",\"canary\":\"true\"}");
        // A collector that reported once and would pull, collect and push every 10 s: stale (not heard
        // from for three of those) by the time the viewer looks at the fleet.
        asleep = Agent.register("asleep", "{}").id;
        publish(asleep, "[collector]\nconfig_pull_interval = 10\npush_interval = 10\n\n[collectors.pg_stats]\n"
                + "interval = 10\n\n[collectors.pg_connections]\ninterval = 10\n\n[collectors.sysstat]\ninterval = 10\n\n"
                + "[collectors.disk_usage]\ninterval = 10\n", "report often");
        webTwo = Agent.register("web-2", "{\"tier\":\"web\"}");
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.ifPresent(ConsoleBrowser::close);
        }
    }

    @Test
    @Order(1)
    void anOperatorFindsTheDriftReadsTheDiffFixesAnInvalidDocumentPublishesAndRollsBack() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, true);
        Instant loggedIn = Instant.now();

        // Fleet: only the out-of-sync collectors.
        b.awaitElement("#fleet-rows tr[data-id]");
        new org.openqa.selenium.support.ui.Select(b.awaitElement("#show")).selectByValue("out-of-sync");
        b.awaitElement("#fleet-filter button").click();
        WebElement row = b.awaitElement("#fleet-rows tr[data-id='" + drifting + "']");
        assertEquals("false", row.getDomAttribute("data-in-sync"));
        assertEquals("2", row.findElement(By.cssSelector("td.latest")).getText());
        assertEquals("1", row.findElement(By.cssSelector("td.applied")).getText());
        b.await(d -> b.all("#fleet-rows tr[data-id]").stream().allMatch(r -> "false".equals(r.getDomAttribute("data-in-sync"))));
        b.screenshot("fleet");

        // Collector: its history; the diff of version 1 → 2 side by side.
        row.findElement(By.cssSelector("a.collector-link")).click();
        b.awaitElement("#history-table tr[data-version='2']");
        b.awaitElement("#effective-keys tr[data-key='collector.push_interval']");
        b.awaitElement("#show-diff").click();
        WebElement diff = b.awaitElement("#diff");
        assertTrue(diff.findElement(By.cssSelector("td.del")).getText().contains("push_interval = 10"), diff.getText());
        assertTrue(diff.findElement(By.cssSelector("td.add")).getText().contains("push_interval = 20"), diff.getText());
        b.awaitElement("#charts .chart[data-metric='pg_up'] canvas");
        b.screenshot("collector");

        // Editor: an invalid document is marked at its line as it is typed, and refused on publish.
        b.awaitElement("#edit-link").click();
        b.awaitElement(".CodeMirror");
        setEditor(b, "[collector]\n# the push interval\npush_interval = 0\n");
        b.awaitElement("#validation-errors li[data-line='3']");
        b.await(d -> lineHasError(b, 2));
        assertFalse(lineHasError(b, 0));
        b.awaitElement("#publish").click();
        WebElement refused = b.awaitElement("#publish-result .notice.bad");
        assertTrue(refused.getText().contains("nothing was stored"), refused.getText());
        assertTrue(b.awaitElement("#validation-errors li[data-line='3']").getText().contains("push_interval"));
        b.screenshot("editor");
        assertEquals("2", version(drifting), "nothing stored");

        // Fixed and published.
        setEditor(b, "[collector]\n# the push interval\npush_interval = 5\n");
        b.await(d -> "Valid".equals(b.awaitElement("#validation-state").getText()));
        assertTrue(b.all("#validation-errors li").isEmpty());
        b.awaitElement("#change-message").sendKeys("push every 5 s");
        b.awaitElement("#publish").click();
        assertTrue(b.awaitElement("#publish-result .notice.good").getText().contains("Published version 3"));
        assertEquals("3", version(drifting));

        // Someone else publishes meanwhile: the console answers 412 with what changed.
        publish(drifting, "[collector]\n# the push interval\npush_interval = 7\n", "concurrent change");
        setEditor(b, "[collector]\n# the push interval\npush_interval = 6\n");
        b.await(d -> "Valid".equals(b.awaitElement("#validation-state").getText()));
        b.awaitElement("#publish").click();
        WebElement conflict = b.awaitElement("#conflict");
        assertTrue(conflict.getText().contains("version 4"), conflict.getText());
        assertTrue(conflict.findElement(By.cssSelector("td.add")).getText().contains("push_interval = 7"), conflict.getText());
        b.screenshot("editor-conflict");
        assertEquals("4", version(drifting), "the stale edit was not stored");

        // Roll back to version 1 with confirmation; the rollback names the latest version it saw.
        b.go("#/collector/" + drifting);
        b.awaitElement("#history-table tr[data-version='4']");
        b.awaitElement("button.rollback[data-version='1']").click();
        b.awaitElement("#rollback-dialog");
        b.screenshot("rollback");
        b.awaitElement("#rollback-confirm").click();
        b.awaitElement("#history-table tr[data-version='5']");
        assertEquals("5", version(drifting));
        assertTrue(admin().get("/api/v1/config/" + drifting + "/versions?limit=1").body().contains("\"source\":\"rollback:1\""));

        // Layer and audit pages.
        b.go("#/fleet-layer");
        assertTrue(b.awaitElement("#layer-doc").getText().contains("push_interval = 60"));
        b.awaitElement("#history-table tr[data-version='1']");
        b.screenshot("fleet-layer");
        b.go("#/groups");
        b.awaitElement("#group-rows a[href='#/groups/prod']").click();
        b.awaitElement("#members li");
        assertTrue(b.awaitElement("#layer-doc").getText().contains("interval = 15"));
        b.screenshot("group");
        b.go("#/audit?action=config.rollback");
        WebElement audit = b.awaitElement("#audit-rows tr");
        assertTrue(audit.getText().contains("config.rollback"), audit.getText());
        b.screenshot("audit");

        // Outlive the first access token (on a fast machine the steps above take less than its
        // life): what follows needs a token the console refreshed without a new login.
        b.await(d -> Duration.between(loggedIn, Instant.now()).compareTo(ACCESS_TOKEN_TTL) > 0);
        b.go("#/fleet");
        b.awaitElement("#fleet-rows tr[data-id]");
        assertTrue(b.all("#login-form").isEmpty(), "still logged in");

        assertNoPolicyViolation(b);
    }

    @Test
    @Order(2)
    void anOperatorStartsAStagedRolloutWatchesItsWavesPausesResumesAndAbortsIt() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);

        // From the group's editor: publish as a staged rollout, canary first.
        b.go("#/edit/group/web");
        b.awaitElement(".CodeMirror");
        setEditor(b, "[collector]\npush_interval = 20\n");
        b.await(d -> "Valid".equals(b.awaitElement("#validation-state").getText()));
        b.awaitElement("#change-message").sendKeys("report every 20 s");
        b.awaitElement("#staged-rollout summary").click();
        b.awaitElement("#rollout-waves").clear();
        b.awaitElement("#rollout-waves").sendKeys("canary=true; 100%");
        b.awaitElement("#rollout-bake").clear();
        b.awaitElement("#rollout-bake").sendKeys("0");
        b.screenshot("rollout-start");
        canary.applied();
        webTwo.applied();
        b.awaitElement("#rollout-start").click();

        // Its page: the waves with their members, live.
        b.awaitElement("#waves tr.wave[data-wave='1'][data-state='running']");
        String hash = (String) b.script("return location.hash");
        assertTrue(hash.matches("#/rollouts/\\d+"), hash);
        long id = Long.parseLong(hash.substring("#/rollouts/".length()));
        assertWave(b, 1, "running", 1, 0, 1);
        assertWave(b, 2, "not_started", 1, 0, 1);
        assertTrue(b.awaitElement("#rollout-info").getText().contains("group/web"));
        assertTrue(b.awaitElement("#timeline").getText().contains("started by admin"), b.awaitElement("#timeline").getText());
        b.script("window.__samePage = true");

        b.awaitElement("#rollout-pause").click();
        b.awaitElement("#rollout-state-value .badge[data-state='paused']");
        assertEquals("paused", rollout(id).getString("state"));
        b.awaitElement("#rollout-resume").click();
        b.awaitElement("#rollout-state-value .badge[data-state='running']");

        // The canary's agent applies the staged version: wave 2 starts, seen without a reload.
        canary.applied();
        b.awaitElement("#waves tr.wave[data-wave='2'][data-state='running']");
        assertWave(b, 1, "passed", 1, 1, 0);
        assertEquals(Boolean.TRUE, b.script("return window.__samePage === true"), "the page was not reloaded");
        b.screenshot("rollout");

        // Abort, confirmed: rolled back.
        b.awaitElement("#rollout-abort").click();
        b.awaitElement("#abort-dialog");
        b.screenshot("rollout-abort");
        b.awaitElement("#abort-confirm").click();
        b.awaitElement("#rollout-state-value .badge[data-state='rolled_back']");
        assertTrue(b.awaitElement("main .notice.bad").getText().contains("aborted by admin in wave 2 of 2"),
                b.awaitElement("main .notice.bad").getText());
        assertTrue(b.all("#rollout-actions button").isEmpty(), "a finished rollout has no controls");
        assertEquals("rolled_back", rollout(id).getString("state"));

        // A rollout whose canary cannot apply it: rolled back by the server, the agent's error shown (as text).
        canary.applied();
        webTwo.applied();
        String runningSha = canary.sha();
        long failing = startRollout("[collector]\npush_interval = 25\n");
        canary.failed(HOSTILE_ERROR, runningSha);
        b.go("#/rollouts/" + failing);
        b.awaitElement("#rollout-state-value .badge[data-state='rolled_back']");
        WebElement failure = b.awaitElement("#rollout-failures tr[data-id='" + canary.id + "']");
        assertTrue(failure.getText().contains(HOSTILE_ERROR), failure.getText());
        assertTrue(b.awaitElement("main .notice.bad").getText().contains("wave 1 of 2 failed"));
        assertWave(b, 1, "rolled_back", 1, 0, 0);
        b.screenshot("rollout-rolled-back");

        // The list, filtered by state.
        b.go("#/rollouts");
        b.awaitElement("#rollout-rows tr[data-id='" + failing + "']");
        b.awaitElement("#rollout-rows tr[data-id='" + id + "']");
        b.screenshot("rollouts");
        new org.openqa.selenium.support.ui.Select(b.awaitElement("#rollout-state")).selectByValue("running");
        b.await(d -> b.all("#rollout-rows tr[data-id]").isEmpty() && !b.all("#rollout-rows td.muted").isEmpty());
        new org.openqa.selenium.support.ui.Select(b.awaitElement("#rollout-state")).selectByValue("rolled_back");
        b.awaitElement("#rollout-rows tr[data-id='" + failing + "'] a.rollout-link").click();
        b.awaitElement("#rollout-failures");

        // Promote: the staged version reaches every member now, the rollout completes.
        canary.applied();
        webTwo.applied();
        long promoted = startRollout("[collector]\npush_interval = 35\n");
        b.go("#/rollouts/" + promoted);
        b.awaitElement("#rollout-promote").click();
        b.awaitElement("#rollout-state-value .badge[data-state='completed']");
        assertTrue(b.all("#rollout-actions button").isEmpty(), "a finished rollout has no controls");
        assertEquals("completed", rollout(promoted).getString("state"));

        assertNull(b.script("return window.__pwned === undefined ? null : String(window.__pwned)"), "no injected script ran");
        assertNoPolicyViolation(b);
    }

    @Test
    @Order(3)
    void aRefreshAnsweredAfterLogoutDoesNotLogTheUserBackIn() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        // Hold the console's next token refresh (it comes a few seconds before the token expires)
        // until the test lets it go, and note when the console has read its answer.
        b.script("const real = window.fetch;"
                + " window.fetch = function (url, init) {"
                + "   if (!String(url).includes('/api/v1/auth/refresh')) return real(url, init);"
                + "   return new Promise(resolve => { window.__releaseRefresh = () => resolve(real(url, init).then(res => {"
                + "     const json = res.json.bind(res);"
                + "     res.json = async () => { const t = await json(); setTimeout(() => { window.__refreshRead = true; }, 0); return t; };"
                + "     return res; })); });"
                + " };");
        b.await(d -> b.script("return typeof window.__releaseRefresh === 'function'"));
        long sessions = liveSessions("admin");
        b.awaitElement("#logout").click();
        b.awaitElement("#login-form");
        // The server ended the session too: its tokens stop working wherever a copy of them is.
        b.await(d -> liveSessions("admin") == sessions - 1);
        b.script("window.__releaseRefresh()");
        b.await(d -> b.script("return window.__refreshRead === true"));
        assertEquals(sessions - 1, liveSessions("admin"), "the held refresh found the session ended");

        assertFalse(b.driver().findElement(By.id("top")).isDisplayed(), "the header of a session is not back");
        assertTrue(b.awaitElement("#login-message").getText().contains("Logged out."), b.awaitElement("#login-message").getText());
        // No token is left in the page: moving to a page asks for a login again.
        b.script("window.__loggedOutForm = document.getElementById('login-form')");
        b.go("#/rollouts");
        b.await(d -> b.script("return document.getElementById('login-form') !== window.__loggedOutForm"
                + " || document.getElementById('rollouts') !== null"));
        assertTrue(b.all("#rollouts").isEmpty(), "not logged back in");
        b.awaitElement("#login-form");
    }

    @Test
    @Order(9)
    void aRefreshTheServerPostponesIsTriedAgainAfterRetryAfterAndOnlyARefusalLogsOut() throws Exception {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        // Hold the console's next refresh until the test lets it go, note each refresh's status and
        // the refresh token the last one answered, and answer one refresh in the server's stead when
        // the test sets window.__answerNext.
        b.script("const real = window.fetch;"
                + " window.__refreshes = []; window.__hold = true;"
                + " window.fetch = function (url, init) {"
                + "   if (!String(url).includes('/api/v1/auth/refresh')) return real(url, init);"
                + "   const go = () => {"
                + "     const fake = window.__answerNext; window.__answerNext = null;"
                + "     const answer = fake ? Promise.resolve(new Response(JSON.stringify(fake.body),"
                + "         { status: fake.body.status, headers: fake.headers })) : real(url, init);"
                + "     return answer.then(async res => {"
                + "       if (res.ok) window.__current = (await res.clone().json()).refresh_token;"
                + "       window.__refreshes.push(res.status); return res; });"
                + "   };"
                + "   if (!window.__hold) return go();"
                + "   window.__hold = false; window.__held = JSON.parse(init.body).refresh_token;"
                + "   return new Promise(resolve => { window.__releaseRefresh = () => resolve(go()); });"
                + " };");
        b.await(d -> b.script("return typeof window.__releaseRefresh === 'function'"));

        // The session refreshed as often as it may within the last minute, the oldest of those
        // refreshes 57 s ago: the server answers the held refresh 429 refresh-rate-exceeded with
        // Retry-After: 3, and the refresh token stays unspent.
        try (Connection c = SERVER.database().connect(); PreparedStatement p = c.prepareStatement(
                "INSERT INTO refresh_tokens (token_hash, family_id, subject, role, issued_at, expires_at, used_at)"
                        + " SELECT encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), family_id, subject,"
                        + " role, now() - interval '57 seconds', now() + interval '1 day', now() - interval '57 seconds'"
                        + " FROM refresh_tokens, generate_series(1, ?) WHERE token_hash = encode(sha256(convert_to(?,"
                        + " 'UTF8')), 'hex')")) {
            p.setInt(1, UseCaseFactory.DEFAULT_REFRESHES_PER_SESSION);
            p.setString(2, (String) b.script("return window.__held"));
            assertEquals(UseCaseFactory.DEFAULT_REFRESHES_PER_SESSION, p.executeUpdate());
        }
        b.script("window.__releaseRefresh()");
        b.await(d -> ((List<?>) b.script("return window.__refreshes")).size() >= 1);
        assertEquals(429L, ((List<?>) b.script("return window.__refreshes")).getFirst());
        // The console says it waits, and stays logged in meanwhile.
        b.await(d -> !b.all("#login-form").isEmpty() || Boolean.TRUE.equals(b.script(
                "const note = document.getElementById('session-note'); return !!note && !note.hidden")));
        assertTrue(b.all("#login-form").isEmpty(), "logged out on a 429: " + b.driver().findElement(By.id("main")).getText());
        WebElement note = b.awaitElement("#session-note");
        assertTrue(note.getText().matches(".*\\(429 Session refreshed too often\\); trying again in [1-3] s\\..*"),
                note.getText());
        assertTrue(b.driver().findElement(By.id("top")).isDisplayed(), "still logged in");
        // Presented again once the minute's oldest refreshes left it: a retry before Retry-After
        // would have met another 429.
        b.await(d -> ((List<?>) b.script("return window.__refreshes")).size() >= 2);
        assertEquals(List.of(429L, 200L), b.script("return window.__refreshes"));
        b.await(d -> !b.driver().findElement(By.id("session-note")).isDisplayed());
        assertTrue(b.driver().findElement(By.id("top")).isDisplayed(), "still logged in");

        // The database unavailable for the next refresh (503 with Retry-After: 1): the same.
        b.script("window.__answerNext = { headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' },"
                + " body: { type: 'https://pgfleet.io/problems/storage-unavailable', title: 'The database is unavailable',"
                + " status: 503, detail: 'the request was not carried out; try again shortly' } }");
        b.await(d -> ((List<?>) b.script("return window.__refreshes")).size() >= 4 || !b.all("#login-form").isEmpty());
        assertTrue(b.all("#login-form").isEmpty(), "logged out on a 503: " + b.driver().findElement(By.id("main")).getText());
        assertEquals(List.of(429L, 200L, 503L, 200L), b.script("return window.__refreshes"));
        assertTrue(b.driver().findElement(By.id("top")).isDisplayed(), "still logged in");
        b.awaitElement("#fleet");

        // A refusal still ends the session: logged out elsewhere, the console's next call is 401,
        // so is its refresh, and the login page comes back.
        String current = (String) b.script("return window.__current");
        HttpResponse<String> out = admin().postJson("/api/v1/auth/logout", "{\"refresh_token\":\"" + current + "\"}");
        assertEquals(204, out.statusCode(), out.body());
        assertTrue(b.awaitElement("#login-message").getText().contains("Your session has ended"),
                b.awaitElement("#login-message").getText());
        List<?> statuses = (List<?>) b.script("return window.__refreshes");
        assertEquals(401L, statuses.getLast(), statuses.toString());
    }

    @Test
    @Order(10)
    void aRefreshThatFindsTheServerUnreachableKeepsTheSessionAndIsTriedAgainUntilItIsBack() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        // Note each refresh's outcome: its status, or "unreachable" when no answer came.
        b.script("const real = window.fetch; window.__refreshes = [];"
                + " window.fetch = function (url, init) {"
                + "   if (!String(url).includes('/api/v1/auth/refresh')) return real(url, init);"
                + "   return real(url, init).then(res => { window.__refreshes.push(res.status); return res; },"
                + "     e => { window.__refreshes.push('unreachable'); throw e; });"
                + " };");

        // Nothing listens on the server's port for a while (as during a restart behind a load
        // balancer): the console's next refresh meets a refused connection, and so does every retry.
        SERVER.stop();
        try {
            b.await(d -> ((List<?>) b.script("return window.__refreshes")).contains("unreachable")
                    || !b.all("#login-form").isEmpty());
            assertTrue(b.all("#login-form").isEmpty(), "logged out while the server was unreachable: "
                    + b.driver().findElement(By.id("main")).getText());
            WebElement note = b.awaitElement("#session-note");
            b.await(d -> note.isDisplayed());
            assertTrue(note.getText().matches("Server unreachable; still logged in, trying again in \\d+ s\\."), note.getText());
            assertTrue(b.driver().findElement(By.id("top")).isDisplayed(), "still logged in");
            // Tried again, still without an answer, still logged in.
            b.await(d -> ((List<?>) b.script("return window.__refreshes")).stream().filter("unreachable"::equals).count() >= 2
                    || !b.all("#login-form").isEmpty());
            assertTrue(b.all("#login-form").isEmpty(), "logged out after a retry found the server unreachable");
        } finally {
            SERVER.startAgain();
        }

        // The server is back on the same address: the same refresh token renews the session.
        b.await(d -> ((List<?>) b.script("return window.__refreshes")).contains(200L) || !b.all("#login-form").isEmpty());
        assertTrue(b.all("#login-form").isEmpty(), "logged out once the server was back: "
                + b.driver().findElement(By.id("main")).getText());
        List<?> statuses = (List<?>) b.script("return window.__refreshes");
        assertEquals(200L, statuses.getLast(), statuses.toString());
        assertTrue(statuses.subList(0, statuses.size() - 1).stream().allMatch("unreachable"::equals), statuses.toString());
        b.await(d -> !b.driver().findElement(By.id("session-note")).isDisplayed());
        assertTrue(b.awaitElement("#who").getText().startsWith("admin"), b.awaitElement("#who").getText());
        // And the pages work on the renewed tokens.
        b.go("#/groups");
        b.await(d -> b.awaitElement("#main").getText().contains("production databases"));
        b.go("#/fleet");
        b.await(d -> b.awaitElement("#fleet-rows").getText().contains("db-drift"));
        assertTrue(b.all("#login-form").isEmpty(), "still logged in");
    }

    /**
     * A proxy or load balancer in front answers for the server while it restarts: its own page, not
     * the server's problem document (408 Request Timeout, a 404 with no backend, a 200 captive page
     * that is not a token answer). That is no verdict on the session: it is kept and the same refresh
     * token presented again, as when nothing answers at all.
     */
    @Test
    @Order(11)
    void aRefreshAnsweredByAProxyInsteadOfTheServerKeepsTheSessionAndIsTriedAgain() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        // The next three refreshes are answered by "the proxy"; each refresh's status is noted.
        b.script("const real = window.fetch; window.__refreshes = [];"
                + " window.__proxy = [[408, 'text/html', '<html><body>408 Request Time-out</body></html>'],"
                + "   [404, 'text/plain', 'no healthy upstream'], [200, 'text/html', '<html>Sign in to the Wi-Fi</html>']];"
                + " window.fetch = function (url, init) {"
                + "   if (!String(url).includes('/api/v1/auth/refresh')) return real(url, init);"
                + "   const fake = window.__proxy.shift();"
                + "   const answer = fake ? Promise.resolve(new Response(fake[2], { status: fake[0],"
                + "       headers: { 'Content-Type': fake[1] } })) : real(url, init);"
                + "   return answer.then(res => { window.__refreshes.push(res.status); return res; });"
                + " };");
        b.await(d -> ((List<?>) b.script("return window.__refreshes")).contains(408L) || !b.all("#login-form").isEmpty());
        assertTrue(b.all("#login-form").isEmpty(), "logged out on a proxy's 408: " + b.driver().findElement(By.id("main")).getText());
        WebElement note = b.awaitElement("#session-note");
        b.await(d -> note.isDisplayed());
        assertTrue(note.getText().matches("Session renewal postponed \\(408\\); trying again in \\d+ s\\."), note.getText());

        b.await(d -> ((List<?>) b.script("return window.__refreshes")).size() >= 4 || !b.all("#login-form").isEmpty());
        assertTrue(b.all("#login-form").isEmpty(), "logged out on a proxy's answer: " + b.driver().findElement(By.id("main")).getText());
        assertEquals(List.of(408L, 404L, 200L, 200L), b.script("return window.__refreshes"));
        b.await(d -> !b.driver().findElement(By.id("session-note")).isDisplayed());
        assertTrue(b.awaitElement("#who").getText().startsWith("admin"), b.awaitElement("#who").getText());
        b.go("#/groups");
        b.await(d -> b.awaitElement("#main").getText().contains("production databases"));
        assertTrue(b.all("#login-form").isEmpty(), "still logged in");
    }

    /** How many sessions (refresh-token families) of a user are going on. */
    private static long liveSessions(String user) {
        try {
            return SERVER.database().count("SELECT count(DISTINCT family_id) FROM refresh_tokens WHERE subject = ?"
                    + " AND revoked_at IS NULL", user);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(4)
    void hostileNamesLabelsMessagesErrorsAndDocumentsAreShownAsText() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        WebElement row = b.awaitElement("#fleet-rows tr[data-id='" + hostile + "']");
        assertTrue(row.getText().contains(HOSTILE_NAME), row.getText());
        assertTrue(row.getText().contains("team=" + HOSTILE_LABEL), row.getText());
        assertTrue(row.getText().contains(HOSTILE_ERROR), row.getText());
        b.go("#/collector/" + hostile);
        assertTrue(b.awaitElement("#own-doc").getText().contains(HOSTILE_COMMENT));
        assertTrue(b.awaitElement("#history-table td.message").getText().contains(HOSTILE_MESSAGE));
        assertTrue(b.awaitElement("#charts .chart[data-metric='pg_up']").getText().contains("db=" + HOSTILE_LABEL));
        b.awaitElement("#edit-link").click();
        b.awaitElement(".CodeMirror");
        b.await(d -> ((String) b.script("return document.querySelector('.CodeMirror').CodeMirror.getValue()")).contains(HOSTILE_COMMENT));
        // A document whose key is markup: the server's error message quotes it, the console shows it as text.
        setEditor(b, "[collector]\n\"" + HOSTILE_NAME.replace("\"", "'") + "\" = 1\n");
        assertTrue(b.awaitElement("#validation-errors li[data-line='2']").getText().contains("<img src=x"));
        b.go("#/groups");
        b.awaitElement("#group-rows a[href='#/groups/odd']");   // the rows come after the table
        assertTrue(b.awaitElement("#groups").getText().contains(HOSTILE_NAME));
        b.go("#/audit?collector_id=" + hostile);
        b.awaitElement("#audit-rows tr");
        assertTrue(b.awaitElement("#audit").getText().contains(HOSTILE_MESSAGE));

        assertNull(b.script("return window.__pwned === undefined ? null : String(window.__pwned)"), "no injected script ran");
        assertTrue(b.all("img[src='x'], main script, main iframe, main svg").isEmpty(), "no injected element");
        assertNoPolicyViolation(b);
    }

    @Test
    @Order(5)
    void aViewerSeesNoWriteControlsAndTheServerRefusesItsWrites() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "vera", VIEWER_PASSWORD, false);
        b.awaitElement("#fleet-rows tr[data-id]");

        // Live: a publish elsewhere shows in the open fleet page without a reload.
        String latestCell = "#fleet-rows tr[data-id='" + hostile + "'] td.latest";
        int before = b.await(d -> Integer.parseInt(b.awaitElement(latestCell).getText()));
        b.script("window.__samePage = true");
        publish(hostile, aDocument(31), "meanwhile");
        b.await(d -> Integer.parseInt(b.awaitElement(latestCell).getText()) > before);
        assertEquals(Boolean.TRUE, b.script("return window.__samePage === true"), "the page was not reloaded");
        assertTrue(b.all("#nav-audit").isEmpty(), "the audit trail is an admin's");

        // Stale highlighted; a label selector; pages.
        assertTrue(b.awaitElement("#fleet-rows tr.stale[data-id='" + asleep + "'] td.last-seen").getText().contains("stale"));
        b.awaitElement("#selector").sendKeys("region=eu");
        b.awaitElement("#fleet-filter button").click();
        b.await(d -> rowIds(b).equals(List.of(drifting)));
        b.go("#/fleet?limit=2");
        List<String> first = b.await(d -> rowIds(b).size() == 2 ? rowIds(b) : null);
        assertFalse(b.awaitElement("#fleet-prev").isEnabled());
        b.awaitElement("#fleet-next").click();
        List<String> second = b.await(d -> {
            List<String> ids = rowIds(b);
            return !ids.isEmpty() && ids.stream().noneMatch(first::contains) ? ids : null;
        });
        assertTrue(second.size() <= 2, second.toString());
        b.awaitElement("#fleet-prev").click();
        b.await(d -> rowIds(b).equals(first));
        b.go("#/collector/" + drifting);
        b.awaitElement("#history-table tr[data-version='5']");
        b.awaitElement("#show-diff");
        assertTrue(b.all("#edit-link").isEmpty(), "no edit link");
        assertTrue(b.all("button.rollback").isEmpty(), "no rollback button");
        b.screenshot("viewer-collector");
        b.go("#/edit/collector/" + drifting);
        b.awaitElement("main .notice.warn");
        assertTrue(b.all("#publish").isEmpty(), "no publish button");
        b.go("#/fleet-layer");
        b.awaitElement("#history-table tr[data-version='1']");
        assertTrue(b.all("#edit-link, button.rollback").isEmpty());

        // A running rollout: its waves, but no pause, resume, promote or abort.
        canary.applied();
        webTwo.applied();
        long running = startRollout("[collector]\npush_interval = 40\n");
        b.go("#/rollouts/" + running);
        b.awaitElement("#waves tr.wave[data-wave='1'][data-state='running']");
        assertTrue(b.all("#rollout-actions, #rollout-pause, #rollout-promote, #rollout-abort").isEmpty(), "no rollout controls");
        b.go("#/rollouts");
        b.awaitElement("#rollout-rows tr[data-id='" + running + "']");
        assertFalse(b.awaitElement("main").getText().contains("Publish as staged rollout"), "no hint to start one");
        b.go("#/groups/web");
        b.awaitElement("#layer-rollout a[href='#/rollouts/" + running + "']");

        // Forcing the calls the hidden controls would make: refused by the server, nothing stored.
        ApiClient viewer = new ApiClient(SERVER.port());
        assertEquals(200, viewer.login("vera", VIEWER_PASSWORD).statusCode());
        for (String command : List.of("pause", "promote", "abort")) {
            assertEquals(403, viewer.postJson("/api/v1/rollouts/" + running + "/" + command, "").statusCode());
        }
        assertEquals("running", rollout(running).getString("state"));
        assertEquals(200, admin().postJson("/api/v1/rollouts/" + running + "/abort", "").statusCode());
        assertEquals(403, viewer.putToml("/api/v1/config/" + drifting, aDocument(42)).statusCode());
        assertEquals(403, viewer.postJson("/api/v1/config/" + drifting + "/rollback", "{\"to_version\":1}").statusCode());
        assertEquals("5", version(drifting));
    }

    @Test
    @Order(6)
    void aCollectorCannotLogInToTheConsole() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logOut(b);
        b.awaitElement("#username").sendKeys(drifting);
        b.awaitElement("#password").sendKeys(ServerSettings.TEST_REGISTRATION_SECRET);
        b.awaitElement("#login-button").click();
        assertTrue(b.awaitElement("#login-message .notice.bad").getText().contains("Wrong user name or password"));
        assertTrue(b.all("#fleet").isEmpty());
        assertFalse(b.awaitElement("#login-form").getText().isEmpty());
        b.screenshot("login");
    }

    @Test
    @Order(7)
    void anotherSiteCannotFrameTheConsole() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        // A page of another origin (a data: URL) that puts the console in a frame, as a clickjacker would.
        b.driver().get("data:text/html,<iframe id=victim width=800 height=600 src='" + b.base() + "/ui/'></iframe>");
        b.driver().switchTo().frame(b.awaitElement("#victim"));
        try {
            String url = b.await(d -> {
                Object href = b.script("return document.readyState === 'complete' ? location.href : null");
                return href == null || href.toString().equals("about:blank") ? null : href.toString();
            });
            assertFalse(url.startsWith(b.base()), "the browser refused to show the console in a frame: " + url);
            assertTrue(b.all("#login-form").isEmpty());
        } finally {
            b.driver().switchTo().defaultContent();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void logIn(ConsoleBrowser b, String user, String password, boolean picture) {
        logOut(b);
        b.awaitElement("#username").sendKeys(user);
        b.awaitElement("#password").sendKeys(password);
        b.awaitElement("#login-button").click();
        b.awaitElement("#fleet");
        assertTrue(b.awaitElement("#who").getText().startsWith(user), b.awaitElement("#who").getText());
    }

    /** A fresh page holds no token: loading the console again is a logged-out start. */
    private static void logOut(ConsoleBrowser b) {
        b.open("/ui/?page=" + ++pageLoads + "#/fleet");
        b.awaitElement("#login-form");
    }

    private static void setEditor(ConsoleBrowser b, String text) {
        b.script("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", text);
    }

    private static boolean lineHasError(ConsoleBrowser b, int line) {
        return Boolean.TRUE.equals(b.script("const cm = document.querySelector('.CodeMirror').CodeMirror;"
                + " const info = cm.lineInfo(arguments[0]);"
                + " return !!(info.bgClass && info.bgClass.includes('cm-error-line') && info.gutterMarkers"
                + " && info.gutterMarkers['CodeMirror-lint-markers']);", line));
    }

    private static void assertNoPolicyViolation(ConsoleBrowser b) {
        List<String> problems = b.consoleMessages().stream()
                // Refusals the steps provoke (401, 412, 422) are logged as failed loads; they are not problems.
                .filter(m -> m.contains("Content Security Policy") || m.contains("Uncaught")
                        || m.startsWith("SEVERE") && !m.contains("Failed to load resource"))
                .toList();
        assertTrue(problems.isEmpty(), "the browser logged: " + problems);
    }

    /** The test's own administrator session, logged in again before its short-lived token expires. */
    private static ApiClient admin() {
        if (Instant.now().isAfter(adminUntil)) {
            admin = ApiClient.asAdmin(SERVER.port());
            adminUntil = Instant.now().plus(ACCESS_TOKEN_TTL).minusSeconds(3);
        }
        return admin;
    }

    @Test
    @Order(8)
    void aWaveOfStaleMembersShowsThemSkippedAndNoProgressToWaitFor() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        HttpResponse<String> group = admin().postJson("/api/v1/groups", "{\"id\":\"edge\",\"selector\":{\"tier\":\"edge\"}}");
        assertEquals(201, group.statusCode(), group.body());
        Agent.register("edge-canary", "{\"tier\":\"edge\",\"canary\":\"true\"}");
        // Made known by an operator, its agent never registered: never seen, so the rollout skips it.
        String stale = "edge-stale";
        HttpResponse<String> made = admin().postJson("/api/v1/collectors",
                "{\"id\":\"" + stale + "\",\"labels\":{\"tier\":\"edge\"}}");
        assertEquals(201, made.statusCode(), made.body());
        HttpResponse<String> started = admin().postJson("/api/v1/rollouts", Json.createObjectBuilder().add("layer", "group/edge")
                .add("document", "[collector]\npush_interval = 25\n").add("waves", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("selector", Json.createObjectBuilder().add("canary", "true")))
                        .add(Json.createObjectBuilder().add("percent", 100)))
                .add("bake_seconds", 600).build().toString());
        assertEquals(201, started.statusCode(), started.body());
        long id = RolloutFleet.json(started.body()).getJsonNumber("id").longValue();

        b.go("#/rollouts/" + id);
        WebElement second = b.awaitElement("#waves tr.wave[data-wave='2']");
        assertEquals("0", second.findElement(By.cssSelector("td.members")).getText(), second.getText());
        assertTrue(second.findElements(By.cssSelector("progress")).isEmpty(), "no full bar for nobody: " + second.getText());
        assertEquals("no member to wait for", second.findElement(By.cssSelector("td.progress")).getText());
        String collectors = second.findElement(By.cssSelector("td.wave-collectors")).getText();
        assertEquals(stale + " (skipped)", collectors);
        assertEquals("0/1", b.awaitElement("#waves tr.wave[data-wave='1'] td.progress").getText().strip());
    }

    @Test
    @Order(9)
    void aCollectorsSamplesBeyondItsFirstPageAreCharted() {
        if (browser.isEmpty()) {
            return;
        }
        // A run of 10,500 statements, all stamped with the instant it ran: more than a page of
        // 10,000. The metric measured after it is only on the second page.
        ApiClient agent = register("{\"name\":\"busy-statements\"}");
        String id = idOf(agent);
        Instant run = Instant.now().minus(10, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
        for (int batch = 0; batch * 1000 < 10_500; batch++) {
            StringBuilder samples = new StringBuilder();
            for (int q = batch * 1000; q < Math.min(10_500, (batch + 1) * 1000); q++) {
                samples.append(samples.isEmpty() ? "" : ",").append("{\"name\":\"pg_stat_statements_calls_total\",")
                        .append("\"labels\":{\"queryid\":\"").append(q).append("\"},\"value\":").append(q)
                        .append(",\"ts\":\"").append(run).append("\"}");
            }
            HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"statements-" + batch
                    + "\",\"samples\":[" + samples + "]}");
            assertEquals(202, r.statusCode(), r.body());
        }
        HttpResponse<String> later = agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"after-the-run\",\"samples\":["
                + "{\"name\":\"a_later_metric\",\"labels\":{},\"value\":1,\"ts\":\"" + run.plusSeconds(60) + "\"}]}");
        assertEquals(202, later.statusCode(), later.body());

        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        b.go("#/collector/" + id);
        b.awaitElement("#charts .chart[data-metric='a_later_metric'] canvas");
        b.awaitElement("#charts .chart[data-metric='pg_stat_statements_calls_total'] canvas");
        assertTrue(b.all("#samples-cut").isEmpty(), "every sample of the 15 minutes was read");
        assertNoPolicyViolation(b);
    }

    /**
     * The longest texts the server accepts, none with a space to break at: a collector's name and a
     * label value (200 characters, which a registering agent chooses), a change message (1,000) and a
     * document line (a 5,000-character comment). They wrap within their cells and boxes; the page
     * stays as wide as the window, so the sync state, the apply status and the rollback buttons of
     * every collector stay in view.
     */
    @Test
    @Order(12)
    void theLongestNamesLabelsMessagesAndLinesWrapAndLeaveEveryColumnInView() {
        if (browser.isEmpty()) {
            return;
        }
        String longValue = "a".repeat(40) + "/" + "b".repeat(io.pgfleet.domain.collector.Collector.MAX_NAME_LENGTH - 41);
        ApiClient agent = register("{\"name\":\"" + "n".repeat(io.pgfleet.domain.collector.Collector.MAX_NAME_LENGTH)
                + "\",\"labels\":{\"long\":\"" + longValue + "\"}}");
        String id = idOf(agent);
        publish(id, aDocument(25), "short");
        publish(id, "# " + "x".repeat(5000) + "\n" + aDocument(26),
                "m".repeat(io.pgfleet.domain.config.PublishRequest.MAX_MESSAGE_LENGTH));

        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        b.go("#/fleet?selector=long%3D" + longValue);
        b.await(d -> rowIds(b).equals(List.of(id)));
        assertFitsTheWindow(b, "#fleet-rows tr[data-id='" + id + "'] td.last-seen");
        b.go("#/collector/" + id);
        b.awaitElement("#own-doc");
        b.awaitElement("#history-table tr[data-version='1']");
        assertFitsTheWindow(b, "#history-table button.rollback");
        assertFitsTheWindow(b, "#own-doc");
    }

    /** The page is no wider than the window, and the element is within it. */
    private static void assertFitsTheWindow(ConsoleBrowser b, String css) {
        b.awaitElement(css);
        List<?> widths = (List<?>) b.script("const root = document.documentElement;"
                + " return [root.scrollWidth, root.clientWidth, Math.ceil(document.querySelector(arguments[0]).getBoundingClientRect().right)];",
                css);
        long page = ((Number) widths.get(0)).longValue();
        long window = ((Number) widths.get(1)).longValue();
        long right = ((Number) widths.get(2)).longValue();
        assertTrue(page <= window, "the page is " + page + " px wide in a window of " + window + " px");
        assertTrue(right <= window, css + " ends at " + right + " px, beyond the window's " + window + " px");
    }

    /**
     * The server goes away under an open fleet page. The page does not go on saying "Updated …" over
     * what it showed last: it says since when it has not been updated and why, a page opened meanwhile
     * says the server could not be reached, and once the server is back the fleet is updated again.
     */
    @Test
    @Order(13)
    void aLivePageWhoseServerStopsAnsweringSaysSinceWhenItIsOutOfDate() {
        if (browser.isEmpty()) {
            return;
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        WebElement status = b.awaitElement("#fleet-updated");
        b.await(d -> status.getText().startsWith("Updated "));
        SERVER.stop();
        try {
            b.await(d -> status.getText().startsWith("Not updated since "));
            assertTrue(status.getText().contains("the server could not be reached"), status.getText());
            assertTrue(status.getDomAttribute("class").contains("out-of-date"), status.getDomAttribute("class"));
            // A live page opened meanwhile says it has nothing yet, and why; any other page says why it is empty.
            b.go("#/groups");
            assertTrue(b.awaitElement("main .notice.bad").getText().startsWith("The server could not be reached"),
                    b.awaitElement("main .notice.bad").getText());
            b.go("#/rollouts");
            b.await(d -> b.awaitElement("#rollouts-updated").getText()
                    .startsWith("Not updated: the server could not be reached; trying again every 5 s"));
        } finally {
            SERVER.startAgain();
        }
        // The page opened while the server was away fills in once it is back, without a reload.
        b.await(d -> b.awaitElement("#rollouts-updated").getText().startsWith("Updated "));
        b.awaitElement("#rollout-rows tr");
        b.go("#/fleet");
        b.await(d -> b.awaitElement("#fleet-updated").getText().startsWith("Updated "));
        assertFalse(b.awaitElement("#fleet-updated").getDomAttribute("class").contains("out-of-date"));
        assertTrue(b.all("#login-form").isEmpty(), "still logged in");
    }

    /**
     * More rollouts than a page holds: the list pages back through the older ones (the API's
     * {@code next}) and forth again, as the fleet does; it does not end at its first page.
     */
    @Test
    @Order(14)
    void theRolloutsListPagesBackToOlderRolloutsAndForthAgain() {
        if (browser.isEmpty()) {
            return;
        }
        List<Long> started = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long id = startRollout("[collector]\npush_interval = " + (50 + i) + "\n");
            assertEquals(200, admin().postJson("/api/v1/rollouts/" + id + "/abort", "").statusCode());
            started.add(id);
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        b.go("#/rollouts?limit=2");
        List<String> first = b.await(d -> rolloutIds(b).size() == 2 ? rolloutIds(b) : null);
        assertEquals(List.of(String.valueOf(started.get(2)), String.valueOf(started.get(1))), first);
        assertFalse(b.awaitElement("#rollouts-newer").isEnabled());
        b.awaitElement("#rollouts-older").click();
        List<String> second = b.await(d -> {
            List<String> ids = rolloutIds(b);
            return !ids.isEmpty() && ids.stream().noneMatch(first::contains) ? ids : null;
        });
        assertEquals(String.valueOf(started.get(0)), second.getFirst(), second.toString());
        assertTrue(b.awaitElement("#rollouts-newer").isEnabled());
        b.awaitElement("#rollouts-newer").click();
        b.await(d -> rolloutIds(b).equals(first));
        assertNoPolicyViolation(b);
    }

    /**
     * A poll of the first page is still on its way when the user moves to the next page: its late
     * answer must not bring the first page back over the one the user asked for (until the next poll),
     * on the fleet nor on the rollouts list.
     */
    @Test
    @Order(15)
    void aPollAnsweredAfterThePageChangedDoesNotBringTheOldPageBack() {
        if (browser.isEmpty()) {
            return;
        }
        for (int i = 0; i < 3; i++) {
            long id = startRollout("[collector]\npush_interval = " + (60 + i) + "\n");
            assertEquals(200, admin().postJson("/api/v1/rollouts/" + id + "/abort", "").statusCode());
        }
        ConsoleBrowser b = browser.get();
        logIn(b, "admin", ServerSettings.TEST_ADMIN_PASSWORD, false);
        assertAHeldPollLeavesTheNextPage(b, "#/fleet?limit=2", "/api/v1/collectors?", "#fleet-next", () -> rowIds(b));
        assertAHeldPollLeavesTheNextPage(b, "#/rollouts?limit=2", "/api/v1/rollouts?", "#rollouts-older", () -> rolloutIds(b));
        assertNoPolicyViolation(b);
    }

    /**
     * Holds the list's next poll (of the first page) in the page's fetch, moves to the next page, then
     * lets the held answer in and holds the poll after it: once that one is asked for, the held poll
     * has been shown (a page polls one request at a time), and the rows must still be the next page's.
     */
    private static void assertAHeldPollLeavesTheNextPage(ConsoleBrowser b, String page, String list, String nextButton,
                                                         java.util.function.Supplier<List<String>> ids) {
        b.go(page);
        List<String> first = b.await(d -> ids.get().size() == 2 ? ids.get() : null);
        b.script("""
                window.__fetch = window.__fetch || window.fetch;
                const list = arguments[0], fetch = window.__fetch.bind(window);
                window.__held = [];
                window.__hold = true;
                window.fetch = (input, init) => {
                  const url = String(input instanceof Request ? input.url : input);
                  if (window.__hold && url.includes(list)) {
                    window.__hold = false;
                    return new Promise(resolve => window.__held.push(() => resolve(fetch(input, init))));
                  }
                  return fetch(input, init);
                };""", list);
        b.await(d -> ((Number) b.script("return window.__held.length")).intValue() == 1 ? true : null);
        b.awaitElement(nextButton).click();
        List<String> second = b.await(d -> {
            List<String> shown = ids.get();
            return !shown.isEmpty() && shown.stream().noneMatch(first::contains) ? shown : null;
        });
        b.script("window.__hold = true; window.__held[0]();");
        b.await(d -> ((Number) b.script("return window.__held.length")).intValue() == 2 ? true : null);
        assertEquals(second, ids.get(), "the late answer of the first page's poll replaced the page asked for");
        b.script("window.__held[1](); window.fetch = window.__fetch;");
    }

    private static List<String> rolloutIds(ConsoleBrowser b) {
        return b.all("#rollout-rows tr[data-id]").stream().map(r -> r.getDomAttribute("data-id")).toList();
    }

    private static List<String> rowIds(ConsoleBrowser b) {
        return b.all("#fleet-rows tr[data-id]").stream().map(r -> r.getDomAttribute("data-id")).toList();
    }

    private static void assertWave(ConsoleBrowser b, int wave, String state, int members, int applied, int pending) {
        WebElement row = b.awaitElement("#waves tr.wave[data-wave='" + wave + "']");
        assertEquals(state, row.getDomAttribute("data-state"), row.getText());
        assertEquals(String.valueOf(members), row.findElement(By.cssSelector("td.members")).getText(), row.getText());
        assertEquals(String.valueOf(applied), row.findElement(By.cssSelector("td.applied")).getText(), row.getText());
        assertEquals(String.valueOf(pending), row.findElement(By.cssSelector("td.pending")).getText(), row.getText());
    }

    private static JsonObject rollout(long id) {
        HttpResponse<String> r = admin().get("/api/v1/rollouts/" + id);
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body());
    }

    /** Starts a rollout of the group web (canary first, no bake) through the API; its id. */
    private static long startRollout(String toml) {
        HttpResponse<String> r = admin().postJson("/api/v1/rollouts", Json.createObjectBuilder().add("layer", "group/web")
                .add("document", toml).add("waves", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("selector", Json.createObjectBuilder().add("canary", "true")))
                        .add(Json.createObjectBuilder().add("percent", 100)))
                .add("bake_seconds", 0).build().toString());
        assertEquals(201, r.statusCode(), r.body());
        return RolloutFleet.json(r.body()).getJsonNumber("id").longValue();
    }

    /**
     * A collector that reports as its agent would, refreshing its own short-lived token first (the
     * class's tokens live ten seconds).
     */
    private static final class Agent {
        final String id;
        private final ApiClient client;
        private String refreshToken;

        private Agent(String id, ApiClient client, String refreshToken) {
            this.id = id;
            this.client = client;
            this.refreshToken = refreshToken;
        }

        static Agent register(String name, String labelsJson) {
            ApiClient c = new ApiClient(SERVER.port());
            HttpResponse<String> r = c.send(c.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                    .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"labels\":" + labelsJson + "}")));
            assertEquals(201, r.statusCode(), r.body());
            c.useToken(ApiClient.field(r.body(), "access_token"));
            Agent agent = new Agent(idOf(c), c, ApiClient.field(r.body(), "refresh_token"));
            agent.applied();
            return agent;
        }

        JsonObject effective() {
            HttpResponse<String> r = admin().get("/api/v1/collectors/" + id + "/effective");
            assertEquals(200, r.statusCode(), r.body());
            return RolloutFleet.json(r.body());
        }

        String sha() {
            return effective().getString("effective_sha256");
        }

        /** Reports that it applied its current effective revision. */
        void applied() {
            JsonObject e = effective();
            report("{\"version\":" + e.getInt("revision") + ",\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\""
                    + e.getString("effective_sha256") + "\"}");
        }

        /** Reports that it could not apply its current effective revision and still runs the one with that hash. */
        void failed(String error, String stillRunningSha) {
            report(Json.createObjectBuilder().add("version", effective().getInt("revision")).add("status", "FAILED")
                    .add("error", error).add("effective_sha256", stillRunningSha).build().toString());
        }

        private void report(String body) {
            HttpResponse<String> fresh = new ApiClient(SERVER.port()).postJson("/api/v1/auth/refresh",
                    "{\"refresh_token\":\"" + refreshToken + "\"}");
            assertEquals(200, fresh.statusCode(), fresh.body());
            client.useToken(ApiClient.field(fresh.body(), "access_token"));
            refreshToken = ApiClient.field(fresh.body(), "refresh_token");
            HttpResponse<String> r = client.postJson("/api/v1/collectors/" + id + "/status", body);
            assertEquals(204, r.statusCode(), r.body());
        }
    }

    private static String version(String id) {
        return admin().get("/api/v1/config/" + id + "/own").headers().firstValue("X-Config-Version").orElse("none");
    }

    private static String aDocument(int pushInterval) {
        return Documents.aDocument().pushInterval(pushInterval).toml();
    }

    private static void publish(String id, String toml, String message) {
        HttpResponse<String> r = admin().putToml("/api/v1/config/" + id, toml, "X-Change-Message", message);
        assertEquals(201, r.statusCode(), r.body());
    }

    private static ApiClient register(String body) {
        ApiClient c = new ApiClient(SERVER.port());
        HttpResponse<String> r = c.send(c.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(201, r.statusCode(), r.body());
        c.useToken(ApiClient.field(r.body(), "access_token"));
        return c;
    }

    private static String idOf(ApiClient collector) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(collector.token().split("\\.")[1]));
        return payload.replaceAll(".*\"sub\":\"([^\"]+)\".*", "$1");
    }

    private static void report(ApiClient c, String id, int version, String status, String error) {
        Matcher sha = Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"").matcher(admin().get("/api/v1/collectors/" + id + "/effective").body());
        assertTrue(sha.find());
        HttpResponse<String> r = c.postJson("/api/v1/collectors/" + id + "/status", "{\"version\":" + version + ",\"status\":\"" + status
                + "\",\"error\":" + json(error) + ",\"effective_sha256\":\"" + sha.group(1) + "\"}");
        assertEquals(204, r.statusCode(), r.body());
    }

    private static void pushSamples(ApiClient agent) {
        StringBuilder samples = new StringBuilder();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        for (int i = 0; i < 10; i++) {
            String ts = now.minusSeconds(60L * (10 - i)).toString();
            for (Map.Entry<String, Double> m : Map.of("pg_up", 1.0, "pg_connections", 5.0 + i).entrySet()) {
                samples.append(samples.isEmpty() ? "" : ",").append("{\"name\":\"").append(m.getKey())
                        .append("\",\"labels\":{\"db\":\"postgres\"},\"value\":").append(m.getValue()).append(",\"ts\":\"").append(ts).append("\"}");
            }
        }
        HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"console-batch-1\",\"samples\":[" + samples + "]}");
        assertEquals(202, r.statusCode(), r.body());
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
