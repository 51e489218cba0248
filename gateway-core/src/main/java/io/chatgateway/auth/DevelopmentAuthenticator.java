package io.chatgateway.auth;

import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.Names;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Development mode: the token is taken as the user id itself, nothing is verified, nothing expires and no room is
 * granted by a claim (development mode's default room access is {@code open}). Only for trying the gateway out;
 * the server uses it only when no JWT key is configured, and says so loudly at start.
 */
public final class DevelopmentAuthenticator implements Authenticator {
    @Override
    public CompletionStage<Principal> authenticate(String token) {
        String problem = Names.userProblem(token);
        if (problem != null) {
            return CompletableFuture.failedFuture(new AuthenticationException(problem));
        }
        return CompletableFuture.completedFuture(Principal.of(token));
    }

    @Override
    public CompletionStage<RoomRight> authorizeRoom(String token, String user, String room) {
        return CompletableFuture.failedFuture(
                new AuthenticationException("room tokens need production mode (a configured JWT key)"));
    }

    @Override
    public boolean isDevelopmentMode() {
        return true;
    }

    @Override
    public String toString() {
        return "DevelopmentAuthenticator(token = user id, NOT VERIFIED)";
    }
}
