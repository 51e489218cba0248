package io.chatgateway.server.health;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Decides whether the node should receive traffic: it must be {@link Lifecycle#READY} and every registered
 * {@link ReadinessCheck} must pass. Thread-safe; checks may be added at any time (e.g. when the cluster module
 * starts).
 */
public final class Readiness {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);

    private final Supplier<Lifecycle> lifecycle;
    private final List<ReadinessCheck> checks = new CopyOnWriteArrayList<>();

    /** @param lifecycle the server's current state */
    public Readiness(Supplier<Lifecycle> lifecycle) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    }

    /** Adds a check; a second check with the same name is refused (names identify checks in the answer). */
    public void add(ReadinessCheck check) {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(check.name(), "check.name()");
        synchronized (checks) {
            for (ReadinessCheck c : checks) {
                if (c.name().equals(check.name())) {
                    throw new IllegalArgumentException("a readiness check named '" + check.name()
                            + "' is already registered");
                }
            }
            checks.add(check);
        }
    }

    /** The registered checks, in registration order. */
    public List<ReadinessCheck> checks() {
        return Collections.unmodifiableList(checks);
    }

    /** Runs every check and reports. A check that throws counts as failed; it never makes the answer fail. */
    public Report evaluate() {
        Lifecycle state = lifecycle.get();
        Map<String, ReadinessCheck.Result> results = new LinkedHashMap<>();
        String firstProblem = null;
        for (ReadinessCheck c : checks) {
            ReadinessCheck.Result r;
            try {
                r = Objects.requireNonNull(c.check(), "check() returned null");
            } catch (RuntimeException e) {
                log.warn("Readiness check '{}' failed: {}", c.name(), e.toString());
                r = ReadinessCheck.Result.notReady("check failed: " + e.getClass().getSimpleName());
            }
            results.put(c.name(), r);
            if (!r.ready() && firstProblem == null) {
                firstProblem = c.name() + ": " + r.reason();
            }
        }
        if (state != Lifecycle.READY) {
            return new Report(false, state, state.label(), results);
        }
        return new Report(firstProblem == null, state, firstProblem, results);
    }

    /**
     * The outcome of {@link #evaluate()}.
     *
     * @param ready  {@code true} when the node should receive traffic
     * @param state  the lifecycle state
     * @param reason why not ready ({@code starting}, {@code draining}, {@code stopped} or the first failing check),
     *               {@code null} when ready
     * @param checks every registered check's result, in registration order
     */
    public record Report(boolean ready, Lifecycle state, String reason, Map<String, ReadinessCheck.Result> checks) {
        public Report {
            checks = Collections.unmodifiableMap(new LinkedHashMap<>(checks));
        }
    }
}
