package io.chatgateway.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThrottledLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("throttled-log-test");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private long now = 5_000;

    @BeforeEach
    void attach() {
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
        logger.setLevel(null);
    }

    @Test
    void logsAtInfoAndSummarisesRepeatsOncePerInterval() {
        ThrottledLog line = new ThrottledLog(logger, ThrottledLog.Level.INFO, "refused: too many connections",
                TimeUnit.SECONDS.toNanos(10), () -> now);
        assertTrue(line.log("/127.0.0.5", null));
        for (int i = 0; i < 41; i++) {
            assertFalse(line.log("/127.0.0.5", null));
        }
        now += TimeUnit.SECONDS.toNanos(9);
        assertFalse(line.log("/127.0.0.6", null));
        now += TimeUnit.SECONDS.toNanos(1);
        assertTrue(line.log("/127.0.0.7", null));

        assertEquals(2, appender.list.size());
        ILoggingEvent first = appender.list.get(0);
        assertEquals(Level.INFO, first.getLevel());
        assertEquals("/127.0.0.5 refused: too many connections", first.getFormattedMessage());
        assertNull(first.getThrowableProxy());
        assertEquals("/127.0.0.7 refused: too many connections (42 more like it since the last report)",
                appender.list.get(1).getFormattedMessage());
    }

    @Test
    void countsNothingWhileItsLevelIsOff() {
        logger.setLevel(Level.WARN);
        ThrottledLog line = new ThrottledLog(logger, ThrottledLog.Level.INFO, "refused",
                TimeUnit.SECONDS.toNanos(10), () -> now);
        assertFalse(line.log("a", null));
        logger.setLevel(Level.INFO);
        assertTrue(line.log("b", null));
        assertEquals("b refused", appender.list.get(0).getFormattedMessage());
    }

    @Test
    void warnsWithTheCause() {
        ThrottledLog line = new ThrottledLog(logger, ThrottledLog.Level.WARN, "broke",
                TimeUnit.SECONDS.toNanos(10), () -> now);
        assertTrue(line.log("[c1]", new IllegalStateException("why")));
        assertEquals(Level.WARN, appender.list.get(0).getLevel());
        assertEquals("why", appender.list.get(0).getThrowableProxy().getMessage());
    }
}
