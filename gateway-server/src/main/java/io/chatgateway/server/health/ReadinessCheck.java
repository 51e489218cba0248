package io.chatgateway.server.health;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * One condition the gateway needs before it should receive traffic, such as "the cluster broker is reachable".
 * Registered with {@code GatewayServer.addReadinessCheck}; {@code /readyz} answers 503 while any check fails.
 *
 * <p>{@link #check()} is called on an event loop for every {@code /readyz} request, so it must be cheap and must
 * never block: report a state that something else keeps up to date (a connection listener, a timer), do not probe.
 *
 * <pre>{@code
 * server.addReadinessCheck(ReadinessCheck.of("broker", redis::isConnected));
 * }</pre>
 */
public interface ReadinessCheck {

    /** A short, stable name for logs and the {@code /readyz} answer, e.g. {@code broker}. */
    String name();

    /** The current state; never {@code null}. */
    Result check();

    /** A check that is ready while {@code ready} returns {@code true}, and otherwise gives {@code unavailable}. */
    static ReadinessCheck of(String name, BooleanSupplier ready) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ready, "ready");
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Result check() {
                return ready.getAsBoolean() ? Result.READY : Result.notReady("unavailable");
            }

            @Override
            public String toString() {
                return "ReadinessCheck(" + name + ")";
            }
        };
    }

    /**
     * The outcome of a check.
     *
     * @param ready  {@code true} when the condition holds
     * @param reason why not, for operators (never a secret); {@code null} when ready
     */
    record Result(boolean ready, String reason) {
        /** The condition holds. */
        public static final Result READY = new Result(true, null);

        public Result {
            if (!ready && (reason == null || reason.isBlank())) {
                throw new IllegalArgumentException("reason: " + reason + " (expected: a reason when not ready)");
            }
        }

        /** The condition does not hold, for this reason. */
        public static Result notReady(String reason) {
            return new Result(false, reason);
        }
    }
}
