package io.chatgateway.internal;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThrottledWarningTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("throttle-test");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private long now = 1_000;

    @BeforeEach
    void attach() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
    }

    @Test
    void logsTheFirstThenSummarisesTheRestOncePerInterval() {
        ThrottledWarning w = new ThrottledWarning(logger, "it broke", TimeUnit.SECONDS.toNanos(10), () -> now);
        assertTrue(w.warn("[c1]", new RuntimeException("a")));
        for (int i = 0; i < 500; i++) {
            assertFalse(w.warn("[c" + i + "]", new RuntimeException("b")));
        }
        assertEquals(1, appender.list.size());
        now += TimeUnit.SECONDS.toNanos(10);
        assertTrue(w.warn("[c9]", new RuntimeException("c")));
        assertEquals(2, appender.list.size());
        assertTrue(appender.list.get(1).getFormattedMessage().contains("500 more like it"),
                appender.list.get(1).getFormattedMessage());
        assertEquals("c", appender.list.get(1).getThrowableProxy().getMessage());
    }
}
