package io.chatgateway.testing;

import net.jqwik.api.lifecycle.AfterContainerHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.AroundTryHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.TryExecutionResult;
import net.jqwik.api.lifecycle.TryExecutor;
import net.jqwik.api.lifecycle.TryLifecycleContext;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What every fuzz test class shares, registered with {@code @AddLifecycleHook(Fuzzing.class)}:
 * <ul>
 *   <li>{@code -Dfuzz.tries=N} replaces every property's own try count, for long runs (docs/testing.md); without
 *       it each property runs the few hundred tries it names, which keeps CI short.</li>
 *   <li>Every try must finish within {@link #TRY_TIMEOUT_SECONDS}: a decoder that hangs on some input fails with
 *       that input instead of stalling the build (jqwik has no timeout of its own).</li>
 *   <li>A Netty leak fails the class, as {@link LeakDetection} does for Jupiter tests (jqwik is another engine, so
 *       Jupiter's extensions and its default timeout do not reach it).</li>
 * </ul>
 */
public final class Fuzzing implements AroundPropertyHook, AroundTryHook, AfterContainerHook {
    /** The system property that sets the number of tries of every fuzz property. */
    public static final String TRIES_PROPERTY = "fuzz.tries";
    /** Longest one try may take; every decoder here answers one input in well under a millisecond. */
    public static final long TRY_TIMEOUT_SECONDS = 10;

    private static final ExecutorService TRIES = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fuzz-try");
        t.setDaemon(true);
        return t;
    });

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        Integer tries = Integer.getInteger(TRIES_PROPERTY);
        // An @Example (one try) is a fixed input: repeating it finds nothing.
        boolean example = context.attributes().tries().map(t -> t == 1).orElse(false);
        if (tries != null && tries > 0 && !example) {
            context.attributes().setTries(tries);
        }
        return property.execute();
    }

    @Override
    public TryExecutionResult aroundTry(TryLifecycleContext context, TryExecutor aTry, List<Object> parameters)
            throws Throwable {
        Future<TryExecutionResult> run = TRIES.submit(() -> aTry.execute(parameters));
        try {
            return run.get(TRY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            run.cancel(true);
            return TryExecutionResult.falsified(new AssertionError(
                    "hang: the try did not finish within " + TRY_TIMEOUT_SECONDS + " s"));
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    @Override
    public void afterContainer(ContainerLifecycleContext context) throws Exception {
        List<String> found = LeakDetection.collect();
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " leak(s) during " + context.label() + ":\n"
                    + String.join("\n\n", found));
        }
    }
}
