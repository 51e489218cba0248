package io.chatgateway.server;

import io.chatgateway.server.auth.KeyConfigException;
import io.chatgateway.server.config.ConfigException;
import io.chatgateway.server.config.ConfigLoader;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * Starts the gateway: {@code java -jar gateway-server.jar [--setting=value ...]}; {@code --help} lists settings.
 * Stops gracefully on SIGTERM or Ctrl-C.
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    /** logback.xml reads GATEWAY_LOG_LEVEL at start-up; the setting may also come from a file or a flag. */
    private static void applyLogLevel(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext) {
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("io.chatgateway").setLevel(Level.toLevel(level));
        }
    }

    public static void main(String[] args) throws InterruptedException {
        ConfigLoader.Loaded loaded;
        try {
            loaded = ConfigLoader.load(Arrays.asList(args), System.getenv());
        } catch (ConfigException e) {
            System.err.println("Invalid configuration:");
            e.problems().forEach(p -> System.err.println("  - " + p));
            System.err.println("Run with --help to list the settings.");
            System.exit(2);
            return;
        }
        if (loaded.helpRequested()) {
            System.out.print(ConfigLoader.usage());
            return;
        }
        applyLogLevel(loaded.config().logLevel());
        loaded.warnings().forEach(w -> log.warn("Configuration: {}", w));

        GatewayServer server;
        try {
            server = new GatewayServer(loaded.config());
        } catch (KeyConfigException e) {
            System.err.println("Invalid configuration:");
            System.err.println("  - " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            // Unusable settings found while building (e.g. TLS files): say what, not a stack trace.
            log.error("Failed to start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            // Logback's own shutdown hook would race ours and drop the shutdown log; flush it here instead.
            if (LoggerFactory.getILoggerFactory() instanceof LoggerContext) {
                ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
            }
        }, "gateway-shutdown"));
        try {
            server.start();
        } catch (CannotListenException e) {
            // A port taken or an address not ours is an operator's matter: the message says it all.
            log.error(e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            log.error("Failed to start: {}", e.toString(), e);
            System.exit(1);
        }
    }
}
