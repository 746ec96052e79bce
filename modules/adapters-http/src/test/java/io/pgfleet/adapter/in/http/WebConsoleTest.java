package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's files keep the rules its security rests on: no inline script or style (the
 * Content-Security-Policy would block them, and allowing them would let injected markup run), no
 * HTML built from strings (everything from the server is shown as text), every library from this
 * origin.
 */
class WebConsoleTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = WebConsoleTest.class.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, name + " is on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void thePolicyAllowsNothingInlineAndNoFraming() {
        String csp = WebConsole.CONTENT_SECURITY_POLICY;
        assertFalse(csp.contains("unsafe-inline"), csp);
        assertFalse(csp.contains("unsafe-eval"), csp);
        assertTrue(csp.contains("script-src 'self'"), csp);
        assertTrue(csp.contains("style-src 'self'"), csp);
        assertTrue(csp.contains("connect-src 'self'"), csp);
        assertTrue(csp.contains("frame-ancestors 'none'"), csp);
        assertTrue(csp.startsWith("default-src 'none'"), csp);
    }

    @Test
    void thePageHasNoInlineScriptOrStyleAndLoadsOnlyLocalFiles() throws IOException {
        String html = resource("pgfleet-console/index.html");
        Matcher scripts = Pattern.compile("<script([^>]*)>(.*?)</script>", Pattern.DOTALL).matcher(html);
        int count = 0;
        while (scripts.find()) {
            count++;
            assertTrue(scripts.group(1).matches("\\s+src=\"[a-z][a-zA-Z0-9/._-]*\""), "a script is a local file: " + scripts.group());
            assertEquals("", scripts.group(2).trim(), "no inline script");
        }
        assertTrue(count >= 5, "the editor, its TOML mode and lint, the chart library and the console");
        assertFalse(Pattern.compile("<style|\\sstyle=|\\son[a-z]+=|javascript:|//", Pattern.CASE_INSENSITIVE)
                .matcher(html.replace("<!doctype html>", "")).find(), "no inline style, handler, script URL or remote file");
    }

    @Test
    void theFilesNameNoAbsolutePathSoThatTheConsoleWorksUnderAProxysPathPrefix() throws IOException {
        String html = resource("pgfleet-console/index.html");
        Matcher refs = Pattern.compile("\\s(?:src|href)=\"([^\"]*)\"").matcher(html);
        int count = 0;
        while (refs.find()) {
            count++;
            assertFalse(refs.group(1).startsWith("/"), "a file is named relative to the page: " + refs.group());
        }
        assertTrue(count >= 9, "the libraries' files, the console's and the links");
        assertFalse(Pattern.compile("url\\(\\s*['\"]?/").matcher(resource("pgfleet-console/console.css")).find(),
                "the stylesheet names no absolute path");
        String js = resource("pgfleet-console/console.js");
        assertFalse(js.contains("location.origin"), "the API's base is the page's own URL, not the origin's root");
        assertTrue(js.contains("new URL('../api/v1/', document.baseURI)"), "the API's base is derived from the page's URL");
    }

    @Test
    void theScriptNeverTurnsStringsIntoMarkupOrCode() throws IOException {
        String js = resource("pgfleet-console/console.js");
        for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                "messageHTML", "localStorage", "sessionStorage", "document.cookie", "setAttribute('style'")) {
            assertFalse(js.contains(sink), "console.js must not use " + sink);
        }
        // Every call goes through apiUrl, which joins an API path with the base derived from the page's URL.
        assertFalse(Pattern.compile("fetch\\((?!url,|apiUrl\\('/api/v1/)").matcher(js).find(), "the console calls only the API");
    }

    @Test
    void theLibrariesAreOnTheClassPathAtThePomsVersions() throws IOException {
        assertNotNull(resource(WebConsole.webJar("codemirror") + "/lib/codemirror.js"));
        assertNotNull(resource(WebConsole.webJar("codemirror") + "/mode/toml/toml.js"));
        assertNotNull(resource(WebConsole.webJar("codemirror") + "/addon/lint/lint.js"));
        assertNotNull(resource(WebConsole.webJar("uplot") + "/dist/uPlot.iife.min.js"));
        assertTrue(resource(WebConsole.webJar("codemirror") + "/LICENSE").contains("MIT"));
        assertTrue(resource(WebConsole.webJar("uplot") + "/LICENSE").contains("MIT"));
    }
}
