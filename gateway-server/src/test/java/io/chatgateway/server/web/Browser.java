package io.chatgateway.server.web;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One headless Chromium page driven through Selenium: Debian's {@code /usr/bin/chromium} through its
 * {@code /usr/bin/chromedriver}, with a fresh profile. Nothing is downloaded: when either binary is missing the test
 * fails and names the packages to install (a browser test that skips silently would prove nothing).
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");
    /** Waits for the page are hang detectors, not expectations of speed. */
    static final Duration WAIT = Duration.ofSeconds(20);

    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;

    private Browser(Path profile, ChromeDriverService service, ChromeDriver driver) {
        this.profile = profile;
        this.service = service;
        this.driver = driver;
    }

    static void requireInstalled() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new AssertionError("The browser tests need Debian's Chromium and its driver at " + CHROMIUM + " and "
                    + CHROMEDRIVER + ". Install them with: apt-get install -y chromium chromium-driver");
        }
    }

    static Browser open() {
        return open(new String[0]);
    }

    /** A page with extra Chromium switches, e.g. {@code --host-resolver-rules=MAP name 127.0.0.1}. */
    static Browser open(String... switches) {
        requireInstalled();
        Path profile;
        try {
            profile = Files.createTempDirectory("gateway-chromium-");
        } catch (IOException e) {
            throw new AssertionError("cannot create a Chromium profile directory", e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-extensions", "--disable-default-apps",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--window-size=1280,900", "--user-data-dir=" + profile);
        options.addArguments(switches);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        try {
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
            return new Browser(profile, service, driver);
        } catch (RuntimeException e) {
            service.stop();
            deleteTree(profile);
            throw new AssertionError("Chromium did not start through chromedriver: " + e.getMessage(), e);
        }
    }

    WebDriver driver() {
        return driver;
    }

    void get(String url) {
        driver.get(url);
        until("the page has loaded its script", d -> "true".equals(
                ((JavascriptExecutor) d).executeScript("return document.body.dataset.ready || null")));
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    /**
     * Clicks the element {@code css} names. The pages re-render their lists (presence, rooms) at any moment, so an
     * element found a moment ago may be gone: it is looked up again, a few times, rather than the test failing on a
     * stale reference.
     */
    void click(String css) {
        for (int attempt = 0; ; attempt++) {
            try {
                find(css).click();
                return;
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    boolean exists(String css) {
        return !driver.findElements(By.cssSelector(css)).isEmpty();
    }

    String text(String css) {
        return find(css).getText();
    }

    void type(String css, String text) {
        WebElement e = find(css);
        e.clear();
        e.sendKeys(text);
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /**
     * Makes the page's viewport {@code width} x {@code height} CSS pixels, as a phone's would be. (A headless window
     * cannot be made narrower than 500 pixels; DevTools' device metrics can.)
     */
    void viewport(int width, int height) {
        ((ChromeDriver) driver).executeCdpCommand("Emulation.setDeviceMetricsOverride", java.util.Map.of(
                "width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    }

    /** The element's bounding box in the viewport: {@code left, top, right, bottom, width, height}. */
    @SuppressWarnings("unchecked")
    java.util.Map<String, Number> rect(String css) {
        return (java.util.Map<String, Number>) script("const r = document.querySelector(arguments[0])"
                + ".getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,"
                + " width: r.width, height: r.height}", css);
    }

    /** Waits until {@code condition} holds (non-null and not {@code false}); fails with a screenshot path if not. */
    <T> T until(String what, Function<WebDriver, T> condition) {
        try {
            // Lists re-render as frames arrive, so an element read a moment ago may be gone: try again.
            return new WebDriverWait(driver, WAIT, Duration.ofMillis(50)).withMessage(what)
                    .ignoring(StaleElementReferenceException.class).until(condition);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting until " + what + " (screenshot: " + screenshot(what) + ")", e);
        } catch (RuntimeException e) {
            throw new AssertionError("failed waiting until " + what + ": " + e + " (screenshot: " + screenshot(what)
                    + ")", e);
        }
    }

    /** The {@code data-user} attributes of the elements matching {@code css}, read in one step in the page. */
    @SuppressWarnings("unchecked")
    java.util.List<String> dataUsers(String css) {
        return (java.util.List<String>) script(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.dataset.user)", css);
    }

    /** The texts of the elements matching {@code css}, read in one step in the page. */
    @SuppressWarnings("unchecked")
    java.util.List<String> texts(String css) {
        return (java.util.List<String>) script(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", css);
    }

    /** Saves a screenshot under target/browser-screenshots; returns its path. */
    String screenshot(String name) {
        try {
            Path dir = Paths.get("target", "browser-screenshots");
            Files.createDirectories(dir);
            Path file = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]+", "_") + ".png");
            Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            return file.toAbsolutePath().toString();
        } catch (IOException | RuntimeException e) {
            return "(none: " + e + ")";
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException ignored) {
            // a leftover temporary profile is harmless
        }
    }
}
