package io.pgfleet.server;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Debian's headless Chromium driven through its chromedriver (packages {@code chromium} and
 * {@code chromium-driver}; {@code .ci/run} installs them and sets {@code PGFLEET_REQUIRE_BROWSER=1},
 * so in CI a missing browser fails the suite instead of passing it unchecked). Selenium is pointed
 * at both binaries, so it never tries to download a driver or a browser.
 *
 * <p>With {@code PGFLEET_CONSOLE_SCREENSHOTS} (or the system property
 * {@code pgfleet.console.screenshots}) naming a folder, {@link #screenshot} writes the pictures of
 * docs/console.md there; without it a test run writes nothing into the tree.
 */
final class ConsoleBrowser implements AutoCloseable {

    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("PGFLEET_CHROMIUM", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("PGFLEET_CHROMEDRIVER", "/usr/bin/chromedriver"));

    private final ChromeDriver driver;
    private final Path profile;
    private final String base;

    private ConsoleBrowser(ChromeDriver driver, Path profile, String base) {
        this.driver = driver;
        this.profile = profile;
        this.base = base;
    }

    /**
     * A fresh browser (own empty profile) for the console of a server on loopback, or empty when
     * Chromium is not installed and not required.
     */
    static Optional<ConsoleBrowser> start(int port) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String missing = "Chromium (" + CHROMIUM + ") and chromedriver (" + CHROMEDRIVER + ") are needed for the console's"
                    + " browser tests: install the Debian packages 'chromium' and 'chromium-driver'";
            if ("1".equals(System.getenv("PGFLEET_REQUIRE_BROWSER"))) {
                fail(missing + " (PGFLEET_REQUIRE_BROWSER=1)");
            }
            System.err.println(missing + "; the browser tests run only where they are installed (.ci/run installs them)");
            return Optional.empty();
        }
        try {
            Path profile = Files.createTempDirectory("pgfleet-chromium-");
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            // This machine's flags: no sandbox as root, and no background traffic to hosts it cannot reach.
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1400,1000");
            LoggingPreferences logs = new LoggingPreferences();
            logs.enable(LogType.BROWSER, Level.ALL);
            options.setCapability("goog:loggingPrefs", logs);
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                    .usingAnyFreePort().build();
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
            return Optional.of(new ConsoleBrowser(driver, profile, "http://127.0.0.1:" + port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    WebDriver driver() {
        return driver;
    }

    /** Opens a console page, e.g. {@code /ui/} or {@code /ui/#/fleet}. */
    void open(String path) {
        driver.get(base + path);
    }

    /** Moves within the loaded console (a hash change, no reload: the session lives in the page). */
    void go(String hash) {
        script("location.hash = arguments[0]", hash);
    }

    String base() {
        return base;
    }

    <T> T await(ExpectedCondition<T> condition) {
        // The fleet page re-renders on every poll: an element found a moment ago may be replaced
        // before it is read, which is a reason to look again, not a failure.
        return new WebDriverWait(driver, Duration.ofSeconds(20))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(condition);
    }

    WebElement awaitElement(String css) {
        return await(d -> d.findElements(By.cssSelector(css)).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** What the page logged (CSP violations, script errors) since the last call. */
    List<String> consoleMessages() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            out.add(e.getLevel() + " " + e.getMessage());
        }
        return out;
    }

    /** Writes the whole page as {@code <name>.png} into the screenshot folder, when one is set. */
    void screenshot(String name) {
        String dir = Optional.ofNullable(System.getProperty("pgfleet.console.screenshots"))
                .orElse(System.getenv("PGFLEET_CONSOLE_SCREENSHOTS"));
        if (dir == null || dir.isBlank()) {
            return;
        }
        Dimension before = driver.manage().window().getSize();
        try {
            long height = ((Number) script("return Math.min(2400, document.documentElement.scrollHeight)")).longValue();
            driver.manage().window().setSize(new Dimension(before.getWidth(), (int) Math.max(700, height + 120)));
            Path target = Path.of(dir).resolve(name + ".png");
            Files.createDirectories(target.getParent());
            Files.write(target, driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("could not remove the browser profile " + profile + ": " + e);
            }
        }
    }
}
