package io.chatgateway.auth;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where a {@link JwtAuthenticator} gets its keys: a snapshot to use now, and a way to ask for fresh keys when a
 * token names a {@code kid} that the snapshot does not hold (a signing key rotated at an identity provider).
 *
 * <p>Implementations must be thread-safe and must never block: both methods are called on event loops.
 */
public interface JwtKeySource {
    /** The keys held now; never {@code null}. */
    JwtKeys keys();

    /**
     * Called when a token names a {@code kid} that {@link #keys()} does not hold. Returns the keys to check that
     * token against, once the source has looked for fresh ones (or at once, with the keys it holds, when it may not
     * look again yet). The stage never fails: a source that cannot fetch completes it with the keys it holds. It
     * may complete on another thread.
     *
     * <p>The default looks nowhere else.
     */
    default CompletionStage<JwtKeys> refetch() {
        return CompletableFuture.completedFuture(keys());
    }

    /** A source holding these keys and no others. */
    static JwtKeySource of(JwtKeys keys) {
        Objects.requireNonNull(keys, "keys");
        return new JwtKeySource() {
            @Override
            public JwtKeys keys() {
                return keys;
            }

            @Override
            public String toString() {
                return keys.toString();
            }
        };
    }
}
