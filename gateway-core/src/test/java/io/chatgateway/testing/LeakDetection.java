package io.chatgateway.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes a Netty leak fail the build. Leak detection runs at {@code paranoid} (every buffer tracked); this class
 * installs a detector factory that records every leak report, and after each test class it forces a collection,
 * makes the detectors look at what was collected, and fails the class when anything leaked.
 *
 * <p>Registered twice so that it is installed before the first buffer exists whatever the runner does: as a
 * {@link LauncherSessionListener} and as an auto-detected JUnit extension (both through META-INF/services).
 */
public final class LeakDetection implements LauncherSessionListener, AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        install();
    }

    private static void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new Recording<>(resource, samplingInterval);
            }
        });
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        // The static initializer has run by now; nothing else to do.
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> found = collect();
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " leak(s) during "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", found));
        }
    }

    /** Forces the detectors to report what has been collected since the last call, and returns it. */
    static List<String> collect() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50);
            // Detectors report collected resources when the next resource of their kind is tracked.
            for (ByteBufAllocator alloc : new ByteBufAllocator[] {ByteBufAllocator.DEFAULT,
                    PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT}) {
                for (int i = 0; i < 8; i++) {
                    alloc.directBuffer(1).release();
                    alloc.heapBuffer(1).release();
                }
            }
        }
        synchronized (LEAKS) {
            List<String> copy = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return copy;
        }
    }

    private static final class Recording<T> extends ResourceLeakDetector<T> {
        Recording(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            synchronized (LEAKS) {
                LEAKS.add("LEAK of " + resourceType + ":" + records);
            }
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            synchronized (LEAKS) {
                LEAKS.add("LEAK of " + resourceType + " (no records)");
            }
            super.reportUntracedLeak(resourceType);
        }
    }
}
